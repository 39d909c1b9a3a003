from django.core.management.base import BaseCommand, CommandError

from nrcms.core.errors import NrcmsError
from nrcms.funding.checks import books_check


class Command(BaseCommand):
    help = "核对基金账簿：每笔分录借贷平衡到分，收据与入账一致，缴费与补助与参合人数 × 标准相符。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="同时核对该年度的缴费和财政补助")

    def handle(self, *args, year=None, **options):
        try:
            report = books_check(year)
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc
        for fact in report.facts:
            self.stdout.write(f"  {fact}")
        if not report.ok:
            raise CommandError("账簿核对未通过：\n" + "\n".join(f"  - {p}" for p in report.problems))
        self.stdout.write(self.style.SUCCESS("账簿核对通过"))
