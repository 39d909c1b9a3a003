import csv
import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from nrcms.core.errors import NrcmsError
from nrcms.facilities.catalogue import catalogue_item_add, diagnosis_upsert

DATA = Path(__file__).resolve().parents[2] / "data"


class Command(BaseCommand):
    help = "载入补偿目录（CSV）或 ICD-10 诊断（--diagnoses）；整批成功或整批不写，可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="CSV 文件；省略时载入系统自带的演示目录")
        parser.add_argument("--diagnoses", action="store_true", help="文件是诊断编码（edition,code,name,is_chronic）")

    def handle(self, *args, file=None, diagnoses=False, **options):
        default = DATA / ("icd10_subset.csv" if diagnoses else "catalogue_demo.csv")
        path = Path(file) if file else default
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
        created = 0
        with transaction.atomic():
            for n, row in enumerate(tqdm(rows, desc="载入", unit="行", disable=len(rows) < 500), start=2):
                try:
                    created += load_row(row, diagnoses)
                except NrcmsError as exc:
                    raise CommandError(f"{path.name} 第 {n} 行：{exc.message}（字段 {exc.field}）") from exc
                except (KeyError, ValueError) as exc:
                    raise CommandError(f"{path.name} 第 {n} 行格式错误：{exc}") from exc
        self.stdout.write(f"{path.name}：共 {len(rows)} 行，新增 {created} 行，其余未变化")


def load_row(row: dict, diagnoses: bool) -> int:
    if diagnoses:
        _, created = diagnosis_upsert(actor=None, edition=row["edition"], code=row["code"], name=row["name"],
                                      is_chronic=row.get("is_chronic", "0") in ("1", "true", "是"))
        return int(created)
    _, created = catalogue_item_add(
        actor=None, code=row["code"], name=row["name"], kind=row["kind"], catalogue_class=row["catalogue_class"],
        first_self_pay_share=row.get("first_self_pay_share") or "0", price_limit=row.get("price_limit") or None,
        unit=row.get("unit", ""), valid_from=dt.date.fromisoformat(row["valid_from"]),
        authority=row.get("authority", ""),
    )
    return int(created)
