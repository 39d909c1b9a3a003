import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.accounts.audit_archive import audit_archive
from nrcms.accounts.models import AuditEntry, User
from nrcms.core.errors import NrcmsError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--before 应为日期 YYYY-MM-DD，收到“{text}”") from exc


class Command(BaseCommand):
    help = ("把早于截止日期（且至少六个月前）的审计记录导出为 JSON Lines 文件和签名清单，再从数据库移除；"
            "数据库中留下归档标记，校验从归档的链尾继续。")

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, metavar="YYYY-MM-DD", help="归档此日期之前的记录")
        parser.add_argument("--dir", metavar="DIR", help="归档目录（默认 AUDIT_ARCHIVE_DIR）")
        parser.add_argument("--user", metavar="USERNAME", help="执行归档的账号（记入审计记录）")
        parser.add_argument("--reason", default="", help="归档原因")
        parser.add_argument("--authority", default="", help="依据/批准文号")

    def handle(self, *args, **options):
        before = _date(options["before"])
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"--user：没有账号“{options['user']}”")
        total = AuditEntry.objects.filter(at__date__lt=before).count()
        try:
            with tqdm(total=total, desc="导出审计记录", unit="条", disable=total < 1000) as bar:
                done = audit_archive(before=before, actor=actor, directory=options["dir"], reason=options["reason"],
                                     authority=options["authority"], progress=bar.update)
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(
            f"已归档第 {done.first_seq}–{done.last_seq} 条共 {done.count} 条审计记录：{done.path}\n"
            f"清单：{done.manifest_path}（文件 SHA-256 {done.file_sha256}）"))
