from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.accounts.audit_checkpoint_issue import checkpoint_create
from nrcms.accounts.models import AuditEntry
from nrcms.core.errors import NrcmsError


class Command(BaseCommand):
    help = ("校验审计链后签发检查点（记录条数、最后序号、链尾哈希、时间、签名），写入检查点目录、"
            "按配置发送到远程存储，并打印供纸质存档。每天由定时任务运行一次。")

    def add_arguments(self, parser):
        parser.add_argument("--dir", metavar="DIR", help="检查点目录（默认 AUDIT_CHECKPOINT_DIR）")
        parser.add_argument("--url", metavar="URL", help="远程存储的 HTTP POST 地址（默认 AUDIT_CHECKPOINT_URL）")

    def handle(self, *args, **options):
        total = AuditEntry.objects.count()
        try:
            with tqdm(total=total, desc="校验审计链", unit="条", disable=total < 1000) as bar:
                written = checkpoint_create(directory=options["dir"], url=options["url"], progress=bar.update)
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(written.text_path.read_text(encoding="utf-8"))
        self.stdout.write(self.style.SUCCESS(f"检查点已写入 {written.path}（打印件 {written.text_path.name}）"))
        if written.posted:
            self.stdout.write(self.style.SUCCESS("检查点已发送到远程存储"))
        if written.post_error:
            raise CommandError(f"检查点已写入本地目录，但发送到远程存储失败：{written.post_error}")
