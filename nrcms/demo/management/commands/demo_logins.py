from django.core.management.base import BaseCommand

from nrcms.accounts.models import User
from nrcms.accounts.two_factor import two_factor_required
from nrcms.demo.loader import DemoLogin, load_data

from .demo_load import Command as LoadCommand


class Command(BaseCommand):
    help = "打印已有演示数据库中的演示账号和两步验证演示密钥（make demo 在数据库已存在时使用）。"

    def handle(self, *args, **options):
        data = load_data()
        users = {u.username: u for u in User.objects.select_related("region", "facility")
                 .filter(username__in=[u["username"] for u in data["users"]])}
        logins = []
        for entry in data["users"]:
            user = users.get(entry["username"])
            if user is None:
                continue
            where = user.facility.name if user.facility else user.region.full_name if user.region else ""
            logins.append(DemoLogin(user.username, data["password"], user.get_role_display(), user.display_name,
                                    where, two_factor=two_factor_required(user)))
        if not logins:
            self.stderr.write("数据库里没有演示账号：请先 make clean 再 make demo")
            return
        LoadCommand(stdout=self.stdout, stderr=self.stderr).print_logins(logins)
