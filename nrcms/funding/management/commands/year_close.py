import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.accounts.models import User
from nrcms.core.errors import NrcmsError
from nrcms.funding.year_close import year_close, year_close_preview


class Command(BaseCommand):
    help = ("家庭账户年终结账：各户余额结转下年。nrcms year close --year 2026 [--date 2026-12-31] [--user 账号] "
            "[--authority 依据] [--dry-run]。每个年度只能结账一次；年度未结束须用 --date 明确结账日期。")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="结账年度")
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None,
                            help="结账日期（YYYY-MM-DD）；省略则为该年 12 月 31 日，须在年度结束后运行")
        parser.add_argument("--user", default=None, help="以哪个账号的名义结账（记入审计）；省略则记为命令行")
        parser.add_argument("--authority", default="", help="依据（如通知文号），记入审计")
        parser.add_argument("--dry-run", action="store_true", help="只显示将结转的户数和金额，不记账")

    def handle(self, *args, year, date, user, authority, dry_run, **options):
        actor = None
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"账号“{user}”不存在或已停用")
        try:
            preview = year_close_preview(year=year, closing_date=date)
            self.stdout.write(f"{year} 年度家庭账户：结账日期 {preview.closing_date}，结转 {preview.households} 户，"
                              f"合计 {preview.total} 元（负余额 {preview.negative_households} 户）")
            if dry_run:
                self.stdout.write("试运行，未记账")
                return
            with tqdm(total=preview.households, desc="年终结账", unit="户") as bar:
                close = year_close(year=year, actor=actor, closing_date=date, authority=authority,
                                   expect_total=preview.total, progress=lambda done: bar.update(done - bar.n))
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(
            f"{year} 年度家庭账户已结账：结转 {close.households} 户，合计 {close.total} 元，"
            f"{close.closing_date + dt.timedelta(days=1)} 起记入下年"))
