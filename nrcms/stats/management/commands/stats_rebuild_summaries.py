from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.funding import summary
from nrcms.funding.models import JournalEntry
from nrcms.registry import enrolled_counts
from nrcms.stats import facts


class Command(BaseCommand):
    help = ("记账分录按日汇总、结算事实表与按区划参合人数汇总（统计和驾驶舱读它们）：nrcms stats rebuild-summaries "
            "从全部分录行、结算记录与参合记录重算；--check 只比对，不写入（有不符时退出码非零）。")

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只比对，不重算")

    def handle(self, *args, check, **options):
        count, shown = summary.differences()
        fact_count, fact_shown = facts.differences()
        enrolled_count, enrolled_shown = enrolled_counts.differences()
        if check:
            if count or fact_count or enrolled_count:
                raise CommandError("；".join(
                    ([f"记账分录按日汇总有 {count} 处与分录行不符：" + "；".join(shown)] if count else [])
                    + ([f"结算事实表有 {fact_count} 处与结算记录不符：" + "；".join(fact_shown)] if fact_count else [])
                    + ([f"按区划参合人数汇总有 {enrolled_count} 处与参合记录不符：" + "；".join(enrolled_shown)]
                       if enrolled_count else [])))
            self.stdout.write(self.style.SUCCESS("记账分录按日汇总与分录行逐日相符，结算事实表与结算记录逐条相符，"
                                                 "按区划参合人数汇总与参合记录逐区划相符"))
            return
        self.stdout.write(f"重算前：{count} 处与分录行不符" if count else "重算前：汇总与分录行相符")
        years = len(JournalEntry.objects.dates("date", "year"))
        with tqdm(total=years, desc="重算记账分录按日汇总", unit="年") as bar:
            def step(year: str, rows: int) -> None:
                bar.set_postfix_str(f"{year} 年 {rows} 行")
                bar.update(1)

            written = summary.rebuild(progress=step)
        count, shown = summary.differences()
        if count:
            raise CommandError(f"重算后仍有 {count} 处不符：" + "；".join(shown))
        self.stdout.write(self.style.SUCCESS(f"已重算记账分录按日汇总：{written} 行，与分录行逐日相符"))
        self.stdout.write(f"结算事实表重算前：{fact_count} 处与结算记录不符" if fact_count
                          else "结算事实表重算前：与结算记录相符")
        written = facts.rebuild()
        fact_count, fact_shown = facts.differences()
        if fact_count:
            raise CommandError(f"结算事实表重算后仍有 {fact_count} 处不符：" + "；".join(fact_shown))
        self.stdout.write(self.style.SUCCESS(f"已重算结算事实表：{written} 行，与结算记录逐条相符"))
        self.stdout.write(f"按区划参合人数汇总重算前：{enrolled_count} 处与参合记录不符" if enrolled_count
                          else "按区划参合人数汇总重算前：与参合记录相符")
        with tqdm(total=len(enrolled_counts.years()), desc="重算按区划参合人数汇总", unit="年") as bar:
            def year_done(year: str, rows: int) -> None:
                bar.set_postfix_str(f"{year} 年度 {rows} 行")
                bar.update(1)

            written = enrolled_counts.rebuild(progress=year_done)
        enrolled_count, enrolled_shown = enrolled_counts.differences()
        if enrolled_count:
            raise CommandError(f"按区划参合人数汇总重算后仍有 {enrolled_count} 处不符：" + "；".join(enrolled_shown))
        self.stdout.write(self.style.SUCCESS(f"已重算按区划参合人数汇总：{written} 行，与参合记录逐区划相符"))
