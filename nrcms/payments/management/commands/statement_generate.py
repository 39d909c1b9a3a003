from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.accounts.models import User
from nrcms.claims.models import Settlement
from nrcms.core.errors import NrcmsError
from nrcms.facilities.models import Facility
from nrcms.payments.common import month_bounds, month_parse
from nrcms.payments.services import statement_generate


class Command(BaseCommand):
    help = ("生成医疗机构月结算单：nrcms statement generate --month 2026-10 [--facility 机构编码]。"
            "不指定机构时为该月有结算记录（或有待拨付的家庭医生签约服务费）的每个机构各生成一张；已生成的返回原单，不重复生成。")

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="结算月份，形如 2026-10（须已结束）")
        parser.add_argument("--facility", default="", help="机构编码；不填为全部有结算或签约服务费的机构")
        parser.add_argument("--user", default="", help="记为生成人的账号（县合管办审核员）；不填记为系统")

    def handle(self, *args, month, facility="", user="", **options):
        try:
            first = month_parse(month)
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc
        actor = None
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"账号 {user} 不存在")
        if facility:
            facilities = list(Facility.objects.filter(code=facility))
            if not facilities:
                raise CommandError(f"医疗机构 {facility} 不存在")
        else:
            start, end = month_bounds(first)
            ids = (Settlement.objects.filter(settled_at__gte=start, settled_at__lt=end)
                   .values_list("episode__facility_id", flat=True).distinct())
            from nrcms.family_doctors.models import FeePayment

            # facilities with family-doctor fees of the month or earlier not yet on a statement get one too
            fees = (FeePayment.objects.filter(month__lte=first, statement__isnull=True)
                    .values_list("facility_id", flat=True).distinct())
            facilities = list(Facility.objects.filter(pk__in=set(ids) | set(fees)).order_by("code"))
        created = existing = 0
        failures = []
        for f in tqdm(facilities, desc=f"生成 {first:%Y-%m} 月结算单", unit="家", disable=len(facilities) < 10):
            try:
                statement, new = statement_generate(actor=actor, facility=f, month=first)
            except NrcmsError as exc:
                failures.append(f"{f.code} {f.name}：{exc.message}")
                continue
            created += new
            existing += not new
            self.stdout.write(f"  {statement.number} {f.name} 基金支付 {statement.fund_total} 元"
                              f"{f'，家庭医生签约服务费 {statement.family_doctor_fee_total} 元' if statement.family_doctor_fee_total else ''}"
                              f"{'' if new else '（已存在）'}")
        self.stdout.write(f"新生成 {created} 张，已存在 {existing} 张，共 {len(facilities)} 家机构")
        if failures:
            raise CommandError("以下机构未生成：\n" + "\n".join(f"  - {x}" for x in failures))
        self.stdout.write(self.style.SUCCESS("完成"))
