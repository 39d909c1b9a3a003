"""nrcms disclosure publish --month 2026-10 [--township CODE] [--user U]
nrcms disclosure posters --month 2026-10 --out DIR [--township CODE] [--size a4|a3|both]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.accounts.models import User
from nrcms.core.errors import NrcmsError
from nrcms.registry.models import Region, RegionLevel

from ...posters import SIZES, disclosure_build, disclosure_pdf, file_name
from ...selectors import month_label, month_of
from ...services import disclosure_publish, publish_region


class Command(BaseCommand):
    help = ("公示：nrcms disclosure publish --month 2026-10 [--township 乡镇代码] [--user 用户名] 发布一个月的公示；"
            "nrcms disclosure posters --month 2026-10 --out 目录 [--township 乡镇代码] [--size a4|a3|both] "
            "每个村一份公示海报 PDF（带进度条）。")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=("publish", "posters"))
        parser.add_argument("--month", required=True, help="公示月份 YYYY-MM")
        parser.add_argument("--township", default="", help="乡镇区划代码（默认全县）")
        parser.add_argument("--user", default="", help="发布人用户名（记入审计记录；默认“命令行”）")
        parser.add_argument("--out", default="", help="海报输出目录（posters）")
        parser.add_argument("--size", default="both", choices=("a4", "a3", "both"))

    def handle(self, *args, action, month, township, user, out, size, **options):
        try:
            start, end = month_of(month)
            actor = None
            if user:
                actor = User.objects.filter(username=user).first()
                if actor is None:
                    raise CommandError(f"用户“{user}”不存在")
            region = publish_region(actor, township)
            if action == "publish":
                pub = disclosure_publish(actor=actor, start=start, end=end, region=region, via="命令行")
                self.stdout.write(self.style.SUCCESS(
                    f"已发布{region.name} {month_label(start)}公示：{pub.patients} 人次，新农合补偿 {pub.reimbursed} 元"))
                return
            self._posters(region, start, end, out, size)
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc

    def _posters(self, region: Region, start, end, out: str, size: str) -> None:
        if not out:
            raise CommandError("posters 须给出 --out 目录")
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        villages = list(Region.objects.filter(code__startswith=region.prefix, level=RegionLevel.VILLAGE)
                        .order_by("code"))
        sizes = list(SIZES) if size == "both" else [size]
        written = 0
        with tqdm(total=len(villages) + 1, desc=f"{month_label(start)}公示海报", unit="份") as bar:
            for village in villages:
                d = disclosure_build(region=village, start=start, end=end)
                if d.sections and d.sections[0].rows:
                    for s in sizes:
                        (folder / file_name(d, "pdf", s)).write_bytes(disclosure_pdf(d, size=s))
                        written += 1
                bar.update(1)
            if region.level != RegionLevel.VILLAGE:  # the fund's income and spending, the large reimbursements
                d = disclosure_build(region=region, start=start, end=end)
                d.sections = []
                for s in sizes:
                    (folder / file_name(d, "pdf", s).replace("补偿公示", "基金收支与大额补偿公示")).write_bytes(
                        disclosure_pdf(d, size=s))
                    written += 1
            bar.update(1)
        self.stdout.write(self.style.SUCCESS(f"已写入 {written} 份公示海报到 {folder}"))
