from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from tqdm import tqdm

from nrcms.accounts.audit import audit_record
from nrcms.core.errors import NrcmsError
from nrcms.ops import manifest
from nrcms.ops.backup import opened
from nrcms.ops.restore import count_differences, default_target, restore_database, restore_media


class Command(BaseCommand):
    help = ("从备份恢复数据库和附件文件：nrcms restore 备份目录或.tar [--force]。校验值不符的备份一律拒绝；"
            "目标数据库已有数据时须加 --force（将覆盖全部现有数据）。")

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--force", action="store_true", help="目标数据库已有数据时仍然恢复（覆盖）")

    def handle(self, *args, path, force=False, **options):
        target = default_target()
        connections.close_all()  # the restore replaces the database under this process's feet
        with tqdm(total=4, desc="恢复", unit="步", bar_format="{desc}: {n}/{total} {postfix}") as bar:
            def step(label: str) -> None:
                bar.set_postfix_str(label)
                bar.update(1)

            try:
                step("核对校验值")
                with opened(Path(path)) as (directory, info):
                    step("恢复数据库")
                    restore_database(directory, info, target, force=force)
                    step("恢复附件文件")
                    files = restore_media(directory)
                    step("核对行数")
                    differences = count_differences(info, target)
            except NrcmsError as exc:
                raise CommandError(exc.message) from exc
        if differences:
            raise CommandError("恢复后行数与备份清单不符：\n" + "\n".join(f"  - {d}" for d in differences))
        with transaction.atomic():
            audit_record(actor=None, action="ops.restore", object_type="ops.backup", object_id=info["created"],
                         object_repr=Path(path).name, reason="nrcms restore" + (" --force" if force else ""),
                         after={"path": str(Path(path).resolve()), "created": info["created"],
                                "row_counts": info["row_counts"], "media_files": files})
        if info.get("migration_heads") != manifest.code_heads():
            self.stdout.write(self.style.WARNING("备份的数据库结构版本与当前程序不同：请接着运行 nrcms migrate"))
        self.stdout.write(self.style.SUCCESS(
            f"已恢复 {info['created']} 的备份（{info['database']}）：{sum(info['row_counts'].values())} 行关键数据，"
            f"附件文件 {files} 个"))
