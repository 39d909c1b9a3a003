from django.core.management.base import BaseCommand

from nrcms.demo.loader import demo_load


class Command(BaseCommand):
    help = "载入演示县（户县）的区划、机构和每个角色的演示账号；可重复运行。"

    def handle(self, *args, **options):
        self.print_logins(demo_load())

    def print_logins(self, logins) -> None:
        """The demo logins and the two-step secret (also printed by `nrcms demo build`)."""
        self.stdout.write("")
        self.stdout.write("演示账号（仅用于演示数据库）：")
        width = max(len(login.username) for login in logins) + 2
        self.stdout.write(f"  {'用户名':<{width - 3}}{'密码':<14}{'角色':<20}管辖范围")
        for login in logins:
            role = login.role_label + "　" * max(0, 11 - len(login.role_label))  # full-width padding
            self.stdout.write(f"  {login.username:<{width}}{login.password:<16}{role}{login.jurisdiction}")
        self.stdout.write("")
        two_step = [login.username for login in logins if login.two_factor]
        if two_step:
            from nrcms.demo.loader import load_data

            self.stdout.write(f"两步验证（仅用于演示数据）：{'、'.join(two_step)} 登录时还要输入 6 位验证码。")
            self.stdout.write(f"  演示密钥：{load_data()['totp_secret']}（在手机验证器中选“输入密钥”、基于时间添加），")
            self.stdout.write("  或在开发环境（DEBUG）运行：nrcms totp code --user 用户名")
            self.stdout.write("")
