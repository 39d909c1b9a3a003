from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.accounts.models import User
from nrcms.conditions.batch import chronic_certify_batch
from nrcms.core.errors import NrcmsError


class Command(BaseCommand):
    help = ("批量登记慢性病认定：nrcms conditions certify 文件.xlsx --user 账号 [--dry-run]。表中列：身份证号、病种代码、"
            "认定医院编码、认定日期，可选 有效期至（空则为认定日期次年同日）、备注。先逐行校验，任何一行有错则一行也不写入、"
            "列出全部错误（退出码 1）；全部无误时在一个事务中逐行认定（每行记入审计）。本人该病种在认定日期已有有效认定的行"
            "报“已认定，跳过”，不重复认定。--dry-run 只校验不写入。")

    def add_arguments(self, parser):
        parser.add_argument("file", help="医院报来的 .xlsx（或 .csv）")
        parser.add_argument("--user", required=True, help="县合管办审核员或民政/扶贫办的账号（辖区按该账号，审计记录为该账号）")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")

    def handle(self, *args, file, user, dry_run, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"账号不存在或已停用：{user}")
        with tqdm(total=0, desc="校验" if dry_run else "校验并认定", unit="行") as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            try:
                result = chronic_certify_batch(actor=actor, file_name=path.name, content=path.read_bytes(),
                                               dry_run=dry_run, progress=progress)
            except NrcmsError as exc:
                raise CommandError(exc.message) from exc
        for line in result.skipped:
            self.stdout.write(f"  {line}")
        if result.errors:
            for line in result.errors:
                self.stderr.write(f"  {line}")
            raise CommandError(f"{path.name}：数据行 {result.rows_total}，有 {len(result.errors)} 处错误，"
                               "未写入任何认定；请改正后重新运行")
        if dry_run:
            self.stdout.write(self.style.SUCCESS(
                f"校验通过（--dry-run，未写入）：数据行 {result.rows_total}，将认定 {len(result.certified)} 行，"
                f"已认定跳过 {len(result.skipped)} 行"))
            return
        done = (f"已认定 {len(result.certified)} 行（每行已记入审计）" if result.certified
                else "没有需要新认定的行，未写入")
        self.stdout.write(self.style.SUCCESS(
            f"{done}，已认定跳过 {len(result.skipped)} 行；数据行 {result.rows_total}"))
