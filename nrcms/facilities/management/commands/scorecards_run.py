import re

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.facilities.supervision import scorecards_run


class Command(BaseCommand):
    help = ("定点医疗机构监管指标：nrcms scorecards run --month 2026-03 计算该月各机构指标，"
            "超过补偿方案阈值的生成预警（重复运行不会重复预警），显示在县合管办的待办事项中。")

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="月份，如 2026-03")

    def handle(self, *args, month, **options):
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", month or "")
        if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2100:
            raise CommandError(f"--month 应为“年-月”，如 2026-03（收到“{month[:20]}”）")
        year, mon = int(match[1]), int(match[2])
        with tqdm(total=2, desc=f"{year} 年 {mon} 月监管指标", unit="步") as bar:
            result = scorecards_run(year=year, month=mon, progress=bar.update)
        self.stdout.write(self.style.SUCCESS(
            f"{year} 年 {mon} 月：{result.facilities} 个机构，新预警 {result.raised} 条，"
            f"更新 {result.updated} 条，未变 {result.unchanged} 条"))
