from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.accounts.models import User
from nrcms.core.errors import NrcmsError
from nrcms.family_doctors.services import fee_pay_month
from nrcms.web.params import month_param


class Command(BaseCommand):
    help = ("支付家庭医生签约服务费：nrcms family-doctors pay --month 2026-03 --user 账号。每个团队按当月 1 日有效签约的"
            "基金承担年费合计 ÷ 12（四舍五入到分）记账一次（借统筹基金，贷应付医疗机构）；重复运行不会重复记账。")

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="月份，如 2026-03")
        parser.add_argument("--user", required=True, help="县合管办审核员的账号（审计记录为该账号）")

    def handle(self, *args, month, user, **options):
        try:
            year, mon = month_param({"month": month}, default=(0, 0))
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"账号不存在或已停用：{user}")
        with tqdm(total=0, desc=f"{year} 年 {mon} 月签约服务费", unit="团队") as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            try:
                result = fee_pay_month(actor=actor, year=year, month=mon, progress=progress)
            except NrcmsError as exc:
                raise CommandError(exc.message) from exc
        for p in result.paid:
            self.stdout.write(f"  {p.team.name}：{p.contract_months} 份签约，支付 {p.amount} 元（分录 #{p.entry_id}）")
        self.stdout.write(self.style.SUCCESS(
            f"{year} 年 {mon} 月：本次支付 {len(result.paid)} 个团队，合计 {result.amount} 元；此前已支付 "
            f"{len(result.already)} 个团队（未重复记账）；无计费签约 {len(result.nothing)} 个团队"))
