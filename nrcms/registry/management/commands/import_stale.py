from django.core.management.base import BaseCommand

from nrcms.registry.roster_import import import_jobs_mark_stale


class Command(BaseCommand):
    help = ("把长时间没有进展的“导入中”花名册任务标记为“中断”（进程已停止），之后可在任务页“继续导入”。"
            "nrcms import stale（适合放入 cron）")

    def handle(self, *args, **options):
        marked = import_jobs_mark_stale()
        if marked:
            self.stdout.write(f"已标记为中断的导入任务：{', '.join(str(pk) for pk in marked)}")
        else:
            self.stdout.write("没有中断的导入任务")
