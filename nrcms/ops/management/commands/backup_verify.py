from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.core.errors import NrcmsError
from nrcms.ops.backup import latest_backup
from nrcms.ops.verify import STEPS, backup_verify


class Command(BaseCommand):
    help = ("校验备份：恢复到临时数据库，核对行数、账簿（ledger check）和审计链（audit verify），结果记入备份记录。"
            "nrcms backup verify [备份目录或 .tar]（省略则校验 BACKUP_DIR 中最新的备份）")

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=None)

    def handle(self, *args, path=None, **options):
        try:
            target = Path(path) if path else latest_backup()
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc
        with tqdm(total=STEPS, desc=f"校验 {target.name}", unit="步", bar_format="{desc}: {n}/{total} {postfix}") as bar:
            def step(label: str) -> None:
                bar.set_postfix_str(label)
                bar.update(1)

            out = backup_verify(path=target, step=step)
        for line in out.lines:
            self.stdout.write(f"  {line}")
        if not out.ok:
            raise CommandError(f"备份校验未通过：{target}")
        self.stdout.write(self.style.SUCCESS(f"备份校验通过：{target}"))
