from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.core.errors import NrcmsError
from nrcms.ops.backup import backup_create


class Command(BaseCommand):
    help = ("备份数据库和附件文件（含清单与校验值）到 BACKUP_DIR：nrcms backup [--tar] [--dir 目录]。"
            "校验：nrcms backup verify [备份]；恢复：nrcms restore 备份 [--force]")

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=None, help="备份写到此目录（默认为设置 BACKUP_DIR，即 var/backups/）")
        parser.add_argument("--tar", action="store_true", help="打包成一个 .tar 文件（默认为一个目录）")

    def handle(self, *args, dir=None, tar=False, **options):  # noqa: A002 — the option's name
        with tqdm(total=4, desc="备份", unit="步", bar_format="{desc}: {n}/{total} {postfix}") as bar:
            def step(label: str) -> None:
                bar.set_postfix_str(label)
                bar.update(1)

            try:
                out = backup_create(directory=Path(dir) if dir else None, as_tar=tar, step=step)
            except NrcmsError as exc:
                raise CommandError(exc.message) from exc
        counts = "，".join(f"{k} {v}" for k, v in out.manifest["row_counts"].items())
        self.stdout.write(f"  行数：{counts}")
        self.stdout.write(f"  附件文件 {len(out.manifest['media_files'])} 个；SHA-256 {out.sha256}")
        self.stdout.write(self.style.SUCCESS(f"备份完成：{out.path}（{out.size:,} 字节）"))
