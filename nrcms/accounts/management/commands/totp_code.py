import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from nrcms.accounts import totp
from nrcms.accounts.models import TotpDevice


class Command(BaseCommand):
    help = "显示某账号两步验证器当前的 6 位验证码（仅开发环境 DEBUG 开启时可用，供演示；生产环境拒绝）。"

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="账号")

    def handle(self, *args, user, **options):
        if not settings.DEBUG:
            raise CommandError("只有开发环境（DEBUG 开启）可以显示验证码；生产环境请使用本人手机上的验证器")
        device = TotpDevice.objects.filter(user__username=user).first()
        if device is None:
            raise CommandError(f"账号“{user}”没有两步验证器（未启用两步验证，或账号不存在）")
        step = totp.current_step()
        left = totp.STEP_SECONDS - int(time.time()) % totp.STEP_SECONDS
        self.stdout.write(totp.code_at(device.secret, step))
        self.stderr.write(f"（{left} 秒内有效{'' if device.confirmed else '；该验证器尚未确认'}）")
