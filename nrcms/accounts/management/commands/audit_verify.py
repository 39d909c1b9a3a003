from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.accounts.audit import audit_verify
from nrcms.accounts.models import AuditEntry


class Command(BaseCommand):
    help = "校验审计记录的哈希链；发现改动、删除或插入时以非零状态退出。"

    def handle(self, *args, **options):
        total = AuditEntry.objects.count()
        with tqdm(total=total, desc="校验审计链", unit="条", disable=total < 1000) as bar:
            report = audit_verify(progress=bar.update)
        if not report.ok:
            raise CommandError(f"审计链校验失败：{report.problem}（已校验 {report.checked} 条）")
        self.stdout.write(self.style.SUCCESS(f"审计链完整：{report.checked} 条记录全部校验通过"))
