from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.core.errors import NrcmsError
from nrcms.supervision.batch import run_execute, run_start


class Command(BaseCommand):
    help = "月度智能审核：nrcms supervise run --month 2026-10（审核该月全部有效结算，疑点进入审核队列）"

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="结算月份 YYYY-MM")

    def handle(self, *args, month, **options):
        try:
            run = run_start(actor=None, month=month)
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc
        with tqdm(total=0, desc=f"智能审核 {run.month:%Y-%m}", unit="笔") as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            run = run_execute(run, progress)
        self.stdout.write(self.style.SUCCESS(
            f"{run.month:%Y 年 %m 月}：审核结算 {run.total} 笔，发现疑点 {run.hits_found} 个（新增 {run.hits_new} 个），"
            f"用时 {run.seconds} 秒"))
