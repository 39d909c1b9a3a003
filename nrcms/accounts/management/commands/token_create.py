from django.core.management.base import BaseCommand, CommandError

from nrcms.accounts.models import User
from nrcms.accounts.services import api_token_create


class Command(BaseCommand):
    help = "为用户（如医院合疗科账号）创建 API 令牌；令牌只显示这一次。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="令牌用途，如“HIS 接口”")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户“{username}”不存在")
        _, key = api_token_create(actor=None, user=user, name=name)
        self.stdout.write(key)
