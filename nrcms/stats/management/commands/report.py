from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.core.errors import NrcmsError
from nrcms.registry.models import Region
from nrcms.stats.render import report_pdf, report_xlsx
from nrcms.stats.reports import MONTHLY, REPORTS, report_build
from nrcms.stats.scope import scope_within


class Command(BaseCommand):
    help = ("县合管办报表：nrcms report fund-monthly|reimbursement-monthly|year-summary --year 2026 [--month 11] "
            "[--region 区划代码] --format xlsx|pdf --out 文件。基金收支月报、补偿情况月报须给 --month。")

    def add_arguments(self, parser):
        parser.add_argument("name", choices=list(REPORTS))
        parser.add_argument("--year", required=True)
        parser.add_argument("--month", default="")
        parser.add_argument("--region", default="", help="乡镇或行政村的区划代码（默认全县）")
        parser.add_argument("--format", dest="fmt", choices=("xlsx", "pdf"), required=True)
        parser.add_argument("--out", required=True)

    def handle(self, *args, name, year, month, region, fmt, out, **options):
        if name in MONTHLY and not month:
            raise CommandError(f"{REPORTS[name]}须给出 --month（1–12）")
        if name not in MONTHLY:
            month = ""
        county = Region.objects.filter(level="county").first()
        if county is None:
            raise CommandError("尚未载入行政区划（nrcms regions load 或 nrcms demo load）")
        with tqdm(total=3, desc=REPORTS[name], unit="步", bar_format="{desc}: {n}/{total} {postfix}") as bar:
            bar.set_postfix_str("汇总")
            try:
                scope = scope_within({"year": year, "month": month, "region": region}, prefix=county.prefix,
                                     name=county.name)
                report = report_build(name, scope)
            except NrcmsError as exc:
                raise CommandError(exc.message) from exc
            bar.update(1)
            bar.set_postfix_str("生成文件")
            office = f"{county.name}新型农村合作医疗管理办公室"
            content = report_xlsx(report) if fmt == "xlsx" else report_pdf(report, office=office)
            bar.update(1)
            bar.set_postfix_str("写入")
            Path(out).write_bytes(content)
            bar.update(1)
        self.stdout.write(self.style.SUCCESS(f"{report.title}（{report.subtitle}）已写入 {out}"))
