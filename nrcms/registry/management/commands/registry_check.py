from django.core.management.base import BaseCommand, CommandError

from nrcms.core.masking import mask_id
from nrcms.registry import enrolled_counts
from nrcms.registry.models import Certificate, CertificateStatus, Enrollment, EnrollmentStatus, Household
from nrcms.registry.selectors_people import enrollment_defects


class Command(BaseCommand):
    help = ("检查参合登记：已参合户中既未参合也无原因的成员（整户参合缺陷）、已参合但未发证的户、按区划参合人数汇总与参合记录"
            "不符之处（该年度全县；重算用 nrcms stats rebuild-summaries）。发现问题时以非零状态退出。")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="参合年度")
        parser.add_argument("--region", default="", help="区划代码前缀（如 610125100 为甘亭镇）")

    def handle(self, *args, **options):
        year, prefix = options["year"], options["region"]
        defects = list(enrollment_defects(scheme_year=year, region_prefix=prefix)[:200])
        for p in defects:
            self.stdout.write(f"整户参合缺陷：户 {p.household.number}（{p.household.region.full_name}）"
                              f" {p.name} {mask_id(p.id_number)} 未参合且未登记原因")
        enrolled = Enrollment.objects.filter(scheme_year=year, status=EnrollmentStatus.ENROLLED,
                                             household__region__code__startswith=prefix).values("household_id")
        with_certificate = Certificate.objects.filter(status=CertificateStatus.VALID).values("household_id")
        no_certificate = Household.objects.filter(pk__in=enrolled).exclude(pk__in=with_certificate)
        for h in no_certificate[:200]:
            self.stdout.write(f"未发证：户 {h.number} 已参合 {year} 年度但没有有效的合作医疗证")
        summary_count, summary_shown = enrolled_counts.differences(year)
        for line in summary_shown:
            self.stdout.write(f"参合人数汇总不符：{line}")
        if summary_count:
            self.stdout.write(f"按区划参合人数汇总共 {summary_count} 处与参合记录不符，请运行 nrcms stats rebuild-summaries")
        problems = len(defects) + no_certificate.count() + summary_count
        if problems:
            raise CommandError(f"{year} 年度发现 {problems} 项问题（每类最多列出 200 项）")
        self.stdout.write(self.style.SUCCESS(f"{year} 年度参合登记检查通过"))
