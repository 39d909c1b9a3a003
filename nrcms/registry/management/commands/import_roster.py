from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.accounts.models import User
from nrcms.core.errors import NrcmsError
from nrcms.registry.models import Region
from nrcms.registry.roster_import import roster_import_create, roster_import_run


class Command(BaseCommand):
    help = "导入乡镇参合花名册（.xlsx 或 .csv）：nrcms import roster FILE --township 代码 --year 年度 --user 账号"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--township", required=True, help="乡镇 12 位区划代码")
        parser.add_argument("--year", type=int, default=None, help="参合年度；省略则只登记不参合")
        parser.add_argument("--user", required=True, help="以哪个账号的名义导入（记入审计）")
        parser.add_argument("--errors", default=None, help="错误报告另存为此 .xlsx 文件")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"账号“{options['user']}”不存在或已停用")
        township = Region.objects.filter(code=options["township"]).first()
        if township is None:
            raise CommandError(f"乡镇代码“{options['township']}”不存在")
        try:
            job = roster_import_create(actor=user, township=township, file_name=path.name,
                                       content=path.read_bytes(), scheme_year=options["year"])
            with tqdm(total=job.rows_total, desc="导入花名册", unit="行") as bar:
                job = roster_import_run(job, progress=lambda done: bar.update(done - bar.n))
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc
        if job.status != "done":
            raise CommandError(f"导入失败：{job.message}")
        self.stdout.write(self.style.SUCCESS(f"导入完成（任务 {job.pk}）：{job.message}"))
        if job.error_report and options["errors"]:
            Path(options["errors"]).write_bytes(job.error_report.read())
            self.stdout.write(f"错误报告已保存到 {options['errors']}")
        elif job.rows_error:
            self.stdout.write(f"有 {job.rows_error} 行错误；用 --errors 文件名.xlsx 保存错误报告，或在“花名册导入”页面下载")
