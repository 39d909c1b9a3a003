from django.core.management.base import BaseCommand, CommandError

from nrcms.accounts.models import ApiToken
from nrcms.accounts.services import api_token_revoke
from nrcms.core.errors import NrcmsError


class Command(BaseCommand):
    help = "吊销 API 令牌：nrcms token revoke 编号或前缀 --reason 原因（编号见 nrcms token list）。"

    def add_arguments(self, parser):
        parser.add_argument("token", help="令牌编号，或令牌的前 8 个字符（如 nr_AbCdE）")
        parser.add_argument("--reason", required=True, help="吊销原因，记入审计")

    def handle(self, *args, token, reason, **options):
        qs = ApiToken.objects.filter(pk=int(token)) if token.isdigit() else ApiToken.objects.filter(prefix=token)
        found = list(qs[:2])
        if not found:
            raise CommandError(f"未找到令牌“{token}”；用 nrcms token list 查看编号")
        if len(found) > 1:
            raise CommandError(f"前缀“{token}”对应多个令牌，请改用编号")
        try:
            revoked = api_token_revoke(actor=None, token=found[0], reason=reason)
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"已吊销令牌 {revoked.pk}（{revoked.user.username}：{revoked.name}）"))
