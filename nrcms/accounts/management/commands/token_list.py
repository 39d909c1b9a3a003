from django.core.management.base import BaseCommand
from django.utils import timezone

from nrcms.accounts.models import ApiToken


def _at(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class Command(BaseCommand):
    help = "列出 API 令牌：编号、账号、用途、前缀、创建时间、最近使用、状态（令牌本身从不保存，无法再次显示）。"

    def add_arguments(self, parser):
        parser.add_argument("--user", default="", help="只列此账号的令牌")
        parser.add_argument("--active", action="store_true", help="不列已吊销的令牌")

    def handle(self, *args, user, active, **options):
        qs = ApiToken.objects.select_related("user").order_by("-created_at", "-pk")
        if user:
            qs = qs.filter(user__username=user)
        if active:
            qs = qs.filter(revoked_at__isnull=True)
        self.stdout.write("编号\t账号\t用途\t前缀\t创建时间\t到期\t最近使用\t状态")
        for t in qs:
            state = (f"已吊销 {_at(t.revoked_at)}：{t.revoke_reason}" if t.revoked_at
                     else "已过期" if t.expires_at <= timezone.now() else "有效")
            self.stdout.write(f"{t.pk}\t{t.user.username}\t{t.name}\t{t.prefix}…\t{_at(t.created_at)}\t"
                              f"{_at(t.expires_at)}\t{_at(t.last_used_at)}\t{state}")
        self.stdout.write(f"共 {qs.count()} 个令牌")
