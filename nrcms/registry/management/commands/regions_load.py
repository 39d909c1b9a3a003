from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.core.errors import NrcmsError
from nrcms.registry.region_load import read_division_file, regions_load


class Command(BaseCommand):
    help = ("载入本县的统计用区划代码（.xlsx 或 .csv，列：统计用区划代码、名称、城乡分类代码）："
            "nrcms regions load FILE [--dry-run]；可重复运行，改名记入审计。")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--authority", default="", help="依据，如“国家统计局 2026 年统计用区划代码”")
        parser.add_argument("--dry-run", action="store_true", help="只检查并报告，不写入")

    def handle(self, *args, file, authority, dry_run, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        try:
            rows = read_division_file(path.read_bytes(), path.name)
            with tqdm(total=len(rows), desc="载入区划", unit="行") as bar:
                report = regions_load(actor=None, rows=rows, file_name=path.name, authority=authority,
                                      dry_run=dry_run, progress=lambda done: bar.update(done - bar.n))
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc
        for d in report.added:
            self.stdout.write(f"新增  第 {d['row']} 行 {d['code']} {d['name']}")
        for d in report.renamed:
            self.stdout.write(f"改名  第 {d['row']} 行 {d['code']} {d['old']} → {d['new']}")
        for d in report.refused:
            self.stdout.write(self.style.ERROR(f"拒绝  第 {d['row']} 行 {d['code']} {d['name']}：{d['message']}"))
        for d in report.not_in_file:
            self.stdout.write(f"文件中没有（未删除） {d['code']} {d['name']}")
        style = self.style.WARNING if report.refused else self.style.SUCCESS
        self.stdout.write(style(report.summary()))
        if report.refused:
            raise CommandError(f"有 {len(report.refused)} 行被拒绝，见上；其余行已{'检查' if dry_run else '载入'}")
