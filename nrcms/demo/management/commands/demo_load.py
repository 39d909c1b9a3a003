from django.core.management.base import BaseCommand

from nrcms.demo.loader import demo_load


class Command(BaseCommand):
    help = "载入演示县（户县）的区划、机构和每个角色的演示账号；可重复运行。"

    def handle(self, *args, **options):
        logins = demo_load()
        self.stdout.write("")
        self.stdout.write("演示账号（仅用于演示数据库）：")
        self.stdout.write(f"  {'用户名':<14}{'密码':<16}{'角色':<20}管辖范围")
        for login in logins:
            self.stdout.write(
                f"  {login.username:<16}{login.password:<18}{login.role_label:<14}\t{login.jurisdiction}"
            )
        self.stdout.write("")
