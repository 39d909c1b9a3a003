import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.accounts.models import User
from nrcms.core.errors import NrcmsError
from nrcms.poverty.importer import poverty_import


class Command(BaseCommand):
    help = ("导入扶贫办贫困人口名单：nrcms poverty import 文件 --as-of 名单日期 --user 账号。按证件号码匹配参合人员，"
            "逐人比对后认定或终止建档立卡贫困户、监测户类别（审计记录为该账号）；同一文件重复导入不作更改。")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--as-of", required=True, help="名单日期 YYYY-MM-DD")
        parser.add_argument("--user", required=True, help="民政/扶贫办或县合管办审核员的账号")

    def handle(self, *args, file, as_of, user, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError as exc:
            raise CommandError(f"名单日期“{as_of}”应为 YYYY-MM-DD") from exc
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"账号不存在或已停用：{user}")
        with tqdm(total=0, desc="比对名单", unit="人") as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            try:
                job, new = poverty_import(actor=actor, file_name=path.name, content=path.read_bytes(), as_of=day,
                                          progress=progress)
            except NrcmsError as exc:
                raise CommandError(exc.message) from exc
        if not new:
            self.stdout.write(f"该文件已于 {job.created_at:%Y-%m-%d %H:%M} 导入（第 {job.pk} 次导入），未作任何更改")
        self.stdout.write(self.style.SUCCESS(
            f"数据行 {job.rows_total}：类别变更 {job.changed} 人，无变化 {job.unchanged} 人，"
            f"未匹配 {job.unmatched} 行，无效 {job.invalid} 行"))
        for p in job.problems[:20]:
            self.stdout.write(f"  第 {p['row']} 行 {p['id_number']}：{p['reason']}")
        if len(job.problems) > 20:
            self.stdout.write(f"  另有 {len(job.problems) - 20} 行问题，见导入页面的问题行下载")
