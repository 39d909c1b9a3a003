from django.core.management.base import BaseCommand, CommandError

from nrcms.core.errors import NrcmsError
from nrcms.payments.common import month_parse
from nrcms.payments.models import FacilityStatement


class Command(BaseCommand):
    help = "列出月结算单：nrcms statement list [--month 2026-10] [--facility 机构编码] [--status approved]"

    def add_arguments(self, parser):
        parser.add_argument("--month", default="")
        parser.add_argument("--facility", default="")
        parser.add_argument("--status", default="", help="submitted / in_review / approved / disbursed")

    def handle(self, *args, month="", facility="", status="", **options):
        qs = FacilityStatement.objects.select_related("facility").order_by("-month", "facility__code")
        try:
            if month:
                qs = qs.filter(month=month_parse(month))
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc
        if facility:
            qs = qs.filter(facility__code=facility)
        if status:
            qs = qs.filter(status=status)
        self.stdout.write("单号\t机构\t基金支付\t违规扣款\t应拨付\t实际拨付\t状态")
        for st in qs:
            self.stdout.write(f"{st.number}\t{st.facility.name}\t{st.fund_total}\t{st.deduction_total}\t"
                              f"{st.net_payable}\t{st.disbursed_amount if st.disbursed_amount is not None else '—'}\t"
                              f"{st.get_status_display()}")
        self.stdout.write(f"共 {qs.count()} 张")
