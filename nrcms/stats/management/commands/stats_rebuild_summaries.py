from collections.abc import Callable
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.funding import summary
from nrcms.funding.models import JournalEntry
from nrcms.registry import enrolled_counts
from nrcms.stats import facts


@dataclass(frozen=True)
class Kept:
    """A summary the statistics read, kept by its writers: what it sums and how it is checked and rebuilt."""

    name: str  # 记账分录按日汇总
    source: str  # what it sums: 分录行
    agrees: str  # how it agrees when it does: 逐日相符
    differences: Callable[[], tuple[int, list[str]]]
    rebuild: Callable[..., int]  # rebuild(progress=step(label, rows)) → rows written
    steps: Callable[[], int]  # how many times rebuild calls progress (the progress bar's length)


SUMMARIES = (
    Kept("记账分录按日汇总", "分录行", "逐日相符", summary.differences, summary.rebuild,
         lambda: len(JournalEntry.objects.dates("date", "year"))),
    Kept("结算事实表", "结算记录", "逐条相符", facts.differences, facts.rebuild, lambda: 1),
    Kept("按区划参合人数汇总", "参合记录", "逐区划相符", enrolled_counts.differences, enrolled_counts.rebuild,
         lambda: len(enrolled_counts.years())),
)


class Command(BaseCommand):
    help = ("记账分录按日汇总、结算事实表与按区划参合人数汇总（统计和驾驶舱读它们）：nrcms stats rebuild-summaries "
            "从全部分录行、结算记录与参合记录重算；--check 只比对，不写入（有不符时退出码非零）。")

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只比对，不重算")

    def handle(self, *args, check, **options):
        before = [(kept, *kept.differences()) for kept in SUMMARIES]
        if check:
            wrong = [f"{kept.name}有 {count} 处与{kept.source}不符：" + "；".join(shown)
                     for kept, count, shown in before if count]
            if wrong:
                raise CommandError("；".join(wrong))
            self.stdout.write(self.style.SUCCESS("，".join(f"{kept.name}与{kept.source}{kept.agrees}"
                                                          for kept in SUMMARIES)))
            return
        for kept, count, _ in before:
            self.stdout.write(f"{kept.name}重算前：{count} 处与{kept.source}不符" if count
                              else f"{kept.name}重算前：与{kept.source}相符")
            with tqdm(total=kept.steps(), desc=f"重算{kept.name}", unit="步") as bar:
                def step(label, rows: int) -> None:  # label: a year, or what was rebuilt in one step
                    label = str(label)
                    bar.set_postfix_str(f"{label}{' 年' if label.isdigit() else ''}：{rows} 行")
                    bar.update(1)

                written = kept.rebuild(progress=step)
            count, shown = kept.differences()
            if count:
                raise CommandError(f"{kept.name}重算后仍有 {count} 处不符：" + "；".join(shown))
            self.stdout.write(self.style.SUCCESS(f"已重算{kept.name}：{written} 行，与{kept.source}{kept.agrees}"))
