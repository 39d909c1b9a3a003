from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from nrcms.accounts.export_log import export_filters
from nrcms.accounts.models import User
from nrcms.conditions import exports
from nrcms.conditions.models import ChronicStatus, SeriousStatus, SickbedStatus
from nrcms.core.errors import NrcmsError

STATUSES = {"chronic": ChronicStatus, "serious": SeriousStatus, "sickbed": SickbedStatus}


class Command(BaseCommand):
    help = ("导出慢性病认定、大病集中救治或家庭病床名单（与页面“导出 Excel”相同的行、列与脱敏）：nrcms conditions export "
            "chronic|serious|sickbed [--township 乡镇代码] [--status 状态] [--disease 病种] --user 账号 --out 文件.xlsx。"
            "按该账号的辖区（医疗机构账号：本机构的家庭病床）导出，导出记入审计记录。家庭病床只按状态筛选。")

    def add_arguments(self, parser):
        parser.add_argument("register", choices=list(STATUSES), help="chronic 慢性病认定｜serious 大病集中救治｜sickbed 家庭病床")
        parser.add_argument("--user", required=True, help="以哪个账号的名义导出（辖区与权限按该账号，记入审计）")
        parser.add_argument("--out", required=True, help="写入的 .xlsx 文件")
        parser.add_argument("--township", default="", help="乡镇 12 位区划代码")
        parser.add_argument("--status", default="", help="状态代码，如 certified、expired、treating、settled")
        parser.add_argument("--disease", default="", help="病种：慢性病为 ICD-10 编码（如 I10），大病为病种代码（如 lung_cancer）")

    def handle(self, *args, register, user, out, township, status, disease, **options):
        for option, value in (("--user", user), ("--township", township), ("--status", status),
                              ("--disease", disease)):
            if "\x00" in value:  # (PostgreSQL refuses NUL in text; a caller other than the shell may pass one)
                raise CommandError(f"{option} 含有不可见的控制字符（NUL）")
            if len(value) > 100:
                raise CommandError(f"{option} 最多 100 个字符，读到 {len(value)} 个")
        if not out.lower().endswith(".xlsx"):
            raise CommandError(f"--out 应为 .xlsx 文件，读到“{out}”")
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"账号不存在或已停用：{user}")
        choices = STATUSES[register]
        if status and status not in choices.values:
            shown = "、".join(f"{v}（{label}）" for v, label in choices.choices)
            raise CommandError(f"--status“{status[:20]}”应为：{shown} 之一")
        filters = {"township": township, "status": status, "disease": disease}
        today = timezone.localdate()
        try:
            if register == "sickbed":
                if township or disease:
                    raise CommandError("家庭病床名单只按状态（--status）筛选，与页面相同；不能用 --township、--disease")
                export = exports.sickbed_export(actor=actor, today=today, status=status)
            elif register == "chronic":
                export = exports.chronic_export(actor=actor, today=today, **filters)
            else:
                export = exports.serious_export(actor=actor, today=today, **filters)
            content = export.xlsx()
            Path(out).write_bytes(content)
            export.record(actor=actor, filters=export_filters(filters))
        except NrcmsError as exc:
            raise CommandError(f"{user}：{exc.message}") from exc
        except OSError as exc:
            raise CommandError(f"无法写入 {out}：{exc.strerror}") from exc
        self.stdout.write(self.style.SUCCESS(f"{export.what}：{len(export.rows)} 行已写入 {out}（身份证号已脱敏；"
                                             "导出已记入审计记录）"))
