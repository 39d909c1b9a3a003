"""The episode column format: one row per settled episode, amounts in int64 fen, ready for the vectorised
engine. A polars DataFrame in memory, a Parquet or CSV file on disk.

The itemised bill is summarised per episode into the sums the engine needs (by catalogue class; the part
above price limits; 乙类 first self-pay, each item's share rounded to the fen as the scalar engine rounds it).
The summary is lossless for the engine: `episode_from_row` rebuilds an `Episode` whose settlement equals the
original's to the fen, which is how the scalar engine is run on a sample of an extract.

Columns (see COLUMNS): person_id, date (the settlement date: discharge, or the visit's day), admission_date,
kind, facility_level, in_county, designated, referred, interim, continuation, diagnosis_code, categories
(comma-separated: "dibao,registered_poor"), has_charges, total, class_c, outside, a_eligible, a_over,
b_eligible, b_over, b_first, stay_eligible_before (fen), chronic_certified (the person's chronic-disease
certificate for the diagnosis; a file without the column reads as all true, as the engine's default) and the optional year-to-date start values
(`start_<field>` of `YearToDate`, read from each person's first row; zero when absent)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal
from pathlib import Path

import polars as pl

from nrcms.core.money import round_amount, to_fen
from nrcms.policy.types import ChargeItem, Episode, PersonCategories, YearToDate

from .errors import ExtractError

AMOUNTS = ("total", "class_c", "outside", "a_eligible", "a_over", "b_eligible", "b_over", "b_first",
           "stay_eligible_before")
FLAGS = ("in_county", "designated", "referred", "interim", "continuation", "has_charges", "chronic_certified")
START_FIELDS = tuple(f.name for f in fields(YearToDate) if f.name != "year")  # the year is the replay's own
COLUMNS: dict[str, pl.DataType] = {
    "person_id": pl.Int64, "date": pl.Date, "admission_date": pl.Date, "kind": pl.Utf8, "facility_level": pl.Utf8,
    **{name: pl.Boolean for name in FLAGS}, "diagnosis_code": pl.Utf8, "categories": pl.Utf8,
    **{name: pl.Int64 for name in AMOUNTS},
}
START_COLUMNS = {f"start_{name}": pl.Int64 for name in START_FIELDS}
KINDS = ("inpatient", "outpatient")
LEVELS = ("village", "township", "county", "prefecture", "province")


@dataclass(frozen=True, slots=True)
class Row:
    """One episode as the engine sees it, built from engine inputs (tests, the database extract)."""

    person_id: int
    episode: Episode
    categories: frozenset[str] = frozenset()
    start: YearToDate | None = None


def summarise(charges: tuple[ChargeItem, ...]) -> dict[str, int]:
    """The bill's sums in fen, computed item by item exactly as `rules.eligible_cost` does."""
    out = dict.fromkeys(("total", "class_c", "outside", "a_eligible", "a_over", "b_eligible", "b_over", "b_first"), 0)
    for item in charges:
        amount = item.amount
        out["total"] += to_fen(amount)
        if item.catalogue_class == "C":
            out["class_c"] += to_fen(amount)
            continue
        if item.catalogue_class is None:
            out["outside"] += to_fen(amount)
            continue
        prefix = "a" if item.catalogue_class == "A" else "b"
        if item.price_limit is not None:
            excess = amount - round_amount(item.price_limit * item.quantity)
            if excess > 0:
                out[f"{prefix}_over"] += to_fen(excess)
                amount -= excess
        if prefix == "b" and item.first_self_pay_share:
            share = round_amount(amount * item.first_self_pay_share)
            out["b_first"] += to_fen(share)
            amount -= share
        out[f"{prefix}_eligible"] += to_fen(amount)
    return out


def row_dict(row: Row) -> dict:
    e = row.episode
    out = {"person_id": row.person_id, "date": e.date, "admission_date": e.admission_date, "kind": e.kind,
           "facility_level": e.facility_level, "in_county": e.in_county, "designated": e.designated,
           "referred": e.referred, "interim": e.interim, "continuation": e.continuation,
           "has_charges": bool(e.charges), "diagnosis_code": e.diagnosis_code or "",
           "categories": ",".join(sorted(row.categories)), **summarise(e.charges),
           "stay_eligible_before": to_fen(e.stay_eligible_before), "chronic_certified": e.chronic_certified}
    if row.start is not None:
        for name in START_FIELDS:
            value = getattr(row.start, name)
            out[f"start_{name}"] = value if name == "admissions" else to_fen(value)
    return out


def frame(rows: Iterable[Row] | Iterable[dict]) -> pl.DataFrame:
    """A checked episode frame from engine rows (or from row dicts already summarised)."""
    dicts = [r if isinstance(r, dict) else row_dict(r) for r in rows]
    has_start = any(key.startswith("start_") for d in dicts for key in d)
    schema = {**COLUMNS, **(START_COLUMNS if has_start else {})}
    if has_start:
        for d in dicts:
            for name in START_COLUMNS:
                d.setdefault(name, 0)
    return checked(pl.DataFrame(dicts, schema=schema, orient="row") if dicts else pl.DataFrame(schema=schema))


def checked(df: pl.DataFrame, source: str = "episodes") -> pl.DataFrame:
    """Cast to the column format and refuse what the engine cannot read, with a Chinese message."""
    if "chronic_certified" not in df.columns:  # older extracts: every visit as certified (the engine's default)
        df = df.with_columns(pl.lit(True).alias("chronic_certified"))
    missing = [name for name in COLUMNS if name not in df.columns]
    if missing:
        raise ExtractError(f"{source}：缺少列 {', '.join(missing)}")
    casts = []
    for name, dtype in {**COLUMNS, **{k: v for k, v in START_COLUMNS.items() if k in df.columns}}.items():
        casts.append(pl.col(name).cast(dtype, strict=True))
    try:
        df = df.select(casts).with_columns(pl.col("diagnosis_code").fill_null(""), pl.col("categories").fill_null(""))
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError) as exc:
        raise ExtractError(f"{source}：列类型不对（金额应为整数分，日期为 YYYY-MM-DD，是否为 true/false）：{exc}") from exc
    nulls = [name for name in COLUMNS if name not in ("diagnosis_code", "categories") and df[name].null_count()]
    if nulls:
        raise ExtractError(f"{source}：列 {', '.join(nulls)} 有空值")
    bad_kind = df.filter(~pl.col("kind").is_in(KINDS)).height
    bad_level = df.filter(~pl.col("facility_level").is_in(LEVELS)).height
    if bad_kind or bad_level:
        raise ExtractError(f"{source}：kind 应为 inpatient/outpatient，facility_level 应为 {'/'.join(LEVELS)}")
    negative = [name for name in AMOUNTS if df.height and df[name].min() < 0]
    if negative:
        raise ExtractError(f"{source}：金额列 {', '.join(negative)} 不能为负数")
    parts = sum(pl.col(n) for n in ("class_c", "outside", "a_eligible", "a_over", "b_eligible", "b_over", "b_first"))
    if df.filter(parts != pl.col("total")).height:
        raise ExtractError(f"{source}：各类费用之和应等于总费用 total（分）")
    return df


def read_episodes(path: str | Path) -> pl.DataFrame:
    """An extract from a Parquet or CSV file (the format above)."""
    path = Path(path)
    if not path.exists():
        raise ExtractError(f"就诊数据文件 {path} 不存在")
    return episodes_from_bytes(path.read_bytes(), path.name)


def episodes_from_bytes(content: bytes, name: str) -> pl.DataFrame:
    """The same from a file's bytes (an upload); `name` tells Parquet from CSV and names it in errors."""
    suffix = Path(name).suffix.lower()
    try:
        if suffix == ".parquet":
            df = pl.read_parquet(io.BytesIO(content))
        elif suffix == ".csv":
            df = pl.read_csv(io.BytesIO(content), try_parse_dates=True,
                             schema_overrides={"diagnosis_code": pl.Utf8, "categories": pl.Utf8})
        else:
            raise ExtractError(f"就诊数据文件应为 .parquet 或 .csv：{name}")
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise ExtractError(f"读取就诊数据文件 {name} 失败：{exc}") from exc
    return checked(df, name)


def write_episodes(df: pl.DataFrame, path: str | Path) -> None:
    path = Path(path)
    if path.suffix.lower() == ".csv":
        df.write_csv(path)
    else:
        df.write_parquet(path)


def _fen(value: int) -> Decimal:
    return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


def _item(fen: int, klass: str | None, **kw) -> ChargeItem:
    return ChargeItem(code=f"{klass or 'X'}", amount=_fen(fen), catalogue_class=klass, **kw)


def episode_from_row(row: dict) -> tuple[Episode, PersonCategories]:
    """An engine `Episode` equivalent to a summarised row: its settlement equals the original's to the fen."""
    items = []
    spec = (("a_eligible", "A", {}), ("a_over", "A", {"price_limit": Decimal("0")}), ("b_eligible", "B", {}),
            ("b_first", "B", {"first_self_pay_share": Decimal("1")}), ("b_over", "B", {"price_limit": Decimal("0")}),
            ("class_c", "C", {}), ("outside", None, {}))
    for name, klass, kw in spec:
        if row[name]:
            items.append(_item(row[name], klass, **kw))
    if row["has_charges"] and not items:
        items.append(_item(0, "A"))
    date, admission = row["date"], row["admission_date"]
    episode = Episode(
        kind=row["kind"], facility_level=row["facility_level"], admission_date=admission,
        discharge_date=date if row["kind"] == "inpatient" else None, charges=tuple(items),
        in_county=row["in_county"], designated=row["designated"], referred=row["referred"],
        diagnosis_code=row["diagnosis_code"] or "", interim=row["interim"], continuation=row["continuation"],
        stay_eligible_before=_fen(row["stay_eligible_before"]), chronic_certified=row.get("chronic_certified", True))
    categories = frozenset(c for c in (row["categories"] or "").split(",") if c)
    return episode, PersonCategories(categories)


def start_of(row: dict) -> YearToDate:
    """The person's year-to-date at the start of the replay, from the start_ columns (zeros if absent)."""
    values = {}
    for name in START_FIELDS:
        raw = row.get(f"start_{name}") or 0
        values[name] = int(raw) if name == "admissions" else _fen(raw)
    return YearToDate(**values)


def days(df: pl.DataFrame) -> pl.Series:
    return (pl.Series(df["date"]) - pl.Series(df["admission_date"])).dt.total_days()


EPOCH = dt.date(1970, 1, 1)
