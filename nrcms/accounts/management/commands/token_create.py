import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from nrcms.accounts.models import User
from nrcms.accounts.services import api_token_create
from nrcms.core.errors import NrcmsError


class Command(BaseCommand):
    help = "为用户（如医院合疗科账号）创建 API 令牌；令牌只显示这一次。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="令牌用途，如“HIS 接口”")
        parser.add_argument("--expires", default=None, help="到期日 YYYY-MM-DD（不填按系统默认有效期）")

    def handle(self, *args, username, name, expires, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户“{username}”不存在")
        expires_on = None
        if expires:
            try:
                expires_on = dt.date.fromisoformat(expires)
            except ValueError as exc:
                raise CommandError(f"到期日“{expires}”不是 YYYY-MM-DD 格式的日期") from exc
        try:
            token, key = api_token_create(actor=None, user=user, name=name, expires_on=expires_on)
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(f"令牌 {token.pk}，到期 {timezone.localtime(token.expires_at):%Y-%m-%d}")
        self.stdout.write(key)
