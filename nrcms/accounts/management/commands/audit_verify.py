from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.accounts.audit_archive import archive_file_verify
from nrcms.accounts.audit_verification import audit_verify
from nrcms.accounts.models import AuditEntry

KIND_NAMES = {
    "edited": "改动", "rehashed": "改动并重算哈希", "link": "链接断开", "deleted": "中间删除",
    "cut_tail": "截断链尾", "checkpoint": "与检查点不符", "marker": "归档标记不符",
}


class Command(BaseCommand):
    help = ("用审计密钥校验审计记录的哈希链，并与链外的签名检查点核对；发现改动、重算、删除或截断时以非零状态退出。"
            "--archive 校验一个归档文件。")

    def add_arguments(self, parser):
        parser.add_argument("--checkpoints", metavar="DIR", help="检查点目录（默认 AUDIT_CHECKPOINT_DIR）")
        parser.add_argument("--archive", metavar="MANIFEST", help="校验归档清单及其文件（*.manifest.json）")

    def handle(self, *args, **options):
        if options["archive"]:
            ok, message = archive_file_verify(options["archive"])
            if not ok:
                raise CommandError(message)
            self.stdout.write(self.style.SUCCESS(message))
            return
        total = AuditEntry.objects.count()
        with tqdm(total=total, desc="校验审计链", unit="条", disable=total < 1000) as bar:
            report = audit_verify(progress=bar.update, checkpoint_dir=options["checkpoints"])
        if not report.ok:
            for p in report.problems:
                self.stderr.write(f"  [{KIND_NAMES.get(p.kind, p.kind)}] {p.message}")
            raise CommandError(f"审计链校验失败：{report.problem}（已校验 {report.checked} 条）")
        self.stdout.write(self.style.SUCCESS(
            f"审计链完整：{report.checked} 条记录全部校验通过，与 {report.checkpoints} 个检查点相符"))
