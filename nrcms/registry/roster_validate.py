"""Validating a roster: every row checked in bulk (polars expressions), then against what the database already
holds (a handful of set-based queries). Each row gets `error` (Chinese sentences) and each household an `outcome`:
new, unchanged or error. Nothing is written here."""

from __future__ import annotations

import datetime as dt

import polars as pl

from nrcms.core.idnumber import division_known

from .models import Household, Person, PersonStatus, Region
from .people import ELSEWHERE, PHONE_RE
from .roster_sql import LOOKUP_CHUNK, select_in, table_name
from .roster_template import REASON_WORDS, RELATION_WORDS

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def _msg(cond: pl.Expr, text: pl.Expr | str) -> pl.Expr:
    return pl.when(cond).then(pl.lit(text) if isinstance(text, str) else text)


def _join_errors(exprs: list[pl.Expr]) -> pl.Expr:
    return pl.concat_list(exprs).list.drop_nulls().list.join("；")


def check_rows(frame: pl.DataFrame, *, regions: dict[str, int], today: dt.date, scheme_year: int | None
               ) -> pl.DataFrame:
    """Add parsed columns (id_number, birth_date, sex, relation_code, reason_code, region_id) and `error`."""
    idn = pl.col("id_number").str.to_uppercase().str.replace_all(r"\s", "")
    frame = frame.with_columns(id_number=idn)
    digits_ok = pl.col("id_number").str.contains(r"^\d{17}[\dX]$")
    total = pl.sum_horizontal([pl.col("id_number").str.slice(i, 1).cast(pl.Int64, strict=False) * w
                               for i, w in enumerate(ID_WEIGHTS)])
    check = ((12 - total % 11) % 11).cast(pl.String).replace("10", "X")
    divisions = {code: division_known(code) for code in frame["id_number"].str.slice(0, 6).unique().to_list()
                 if code.isdigit() and len(code) == 6}
    frame = frame.with_columns(
        expected_check=pl.when(digits_ok).then(check),
        birth_date=pl.when(digits_ok).then(pl.col("id_number").str.slice(6, 8)
                                              .str.strptime(pl.Date, "%Y%m%d", strict=False)),
        sex=pl.when(digits_ok).then(pl.when(pl.col("id_number").str.slice(16, 1).cast(pl.Int64, strict=False) % 2 == 1)
                                    .then(pl.lit("M")).otherwise(pl.lit("F"))),
        relation_code=pl.col("relation").replace_strict(RELATION_WORDS, default=None),
        reason_code=pl.when(pl.col("exemption_reason") == "").then(pl.lit(""))
        .otherwise(pl.col("exemption_reason").replace_strict(REASON_WORDS, default=None)),
        region_id=pl.col("region_code").replace_strict(regions, default=None, return_dtype=pl.Int64),
        division_ok=pl.col("id_number").str.slice(0, 6).replace_strict(divisions, default=False,
                                                                       return_dtype=pl.Boolean),
    )
    id_shown = pl.format("身份证号“{}”", pl.col("id_number"))
    id_error = (
        pl.when(pl.col("id_number") == "").then(pl.lit("身份证号不能为空"))
        .when(pl.col("id_number").str.len_chars() != 18)
        .then(pl.format("{}应为 18 位，实为 {} 位", id_shown, pl.col("id_number").str.len_chars()))
        .when(~digits_ok).then(pl.format("{}前 17 位应为数字，末位为数字或 X", id_shown))
        .when(pl.col("id_number").str.slice(17, 1) != pl.col("expected_check"))
        .then(pl.format("{}校验位错误（末位应为 {}），请核对是否录错", id_shown, pl.col("expected_check")))
        .when(pl.col("birth_date").is_null())
        .then(pl.format("{}中的出生日期 {} 不存在", id_shown, pl.col("id_number").str.slice(6, 8)))
        .when(pl.col("birth_date") > today).then(pl.format("{}中的出生日期晚于今天", id_shown))
        .when(~pl.col("division_ok"))
        .then(pl.format("{}前 6 位 {} 不是有效的行政区划代码", id_shown, pl.col("id_number").str.slice(0, 6)))
    )
    frame = frame.with_columns(id_error=id_error)
    n_in_file = pl.len().over("id_number")
    heads = (pl.col("relation_code") == "head").sum().over("household_key")
    errors = [
        _msg(pl.col("household_key") == "", "户号不能为空"),
        _msg(pl.col("name") == "", "姓名不能为空"),
        _msg(pl.col("name").str.len_chars() > 40, "姓名超过 40 个字"),
        pl.col("id_error"),
        _msg((pl.col("id_error").is_null()) & (n_in_file > 1),
             pl.format("身份证号在本文件中出现了 {} 次，同一人只能登记一次", n_in_file)),
        _msg(pl.col("region_code") == "", "村民小组代码不能为空"),
        _msg((pl.col("region_code") != "") & pl.col("region_id").is_null(),
             pl.format("村民小组代码“{}”不是本乡镇的村或村民小组", pl.col("region_code"))),
        _msg(pl.col("region_code").n_unique().over("household_key") > 1, "同一户号的成员填写了不同的村民小组代码"),
        _msg(pl.col("relation_code").is_null(),
             pl.format("与户主关系“{}”无法识别（应为户主、配偶、子女等）", pl.col("relation"))),
        _msg((pl.col("relation_code") == "head") & (heads > 1), pl.format("户号 {} 有 {} 位户主，每户只能有一位",
                                                                         pl.col("household_key"), heads)),
        _msg((heads == 0) & (pl.col("household_key") != ""), pl.format("户号 {} 没有户主", pl.col("household_key"))),
        _msg((pl.col("phone") != "") & ~pl.col("phone").str.contains(PHONE_RE.pattern),
             pl.format("联系电话“{}”格式不正确", pl.col("phone"))),
        _msg(pl.col("reason_code").is_null(), pl.format("未参合原因“{}”无法识别", pl.col("exemption_reason"))),
        _msg((pl.col("reason_code") == "other") & (pl.col("exemption_note") == ""), "未参合原因为“其他”时须填写说明"),
    ]
    if scheme_year is not None:
        errors.append(_msg((pl.col("reason_code") == "").sum().over("household_key") == 0,
                           "以户为单位参合：该户所有成员都填写了未参合原因，至少一人参合"))
    return frame.with_columns(error=_join_errors(errors))


def check_against_database(frame: pl.DataFrame, visible_prefix: str = "") -> pl.DataFrame:
    """Join what the database already holds for these ID numbers and mark each household new, unchanged or
    refused (someone already registered in another household, or a registered household that differs).
    A person registered outside the importer's jurisdiction (region codes not under visible_prefix) is refused
    without a word about that household: not its number, village, nor the name it holds."""
    ids = frame.filter(pl.col("id_error").is_null())["id_number"].unique().to_list()
    person, household, region = table_name(Person), table_name(Household), table_name(Region)
    schema = {"id_number": pl.String, "e_person": pl.Int64, "e_household": pl.Int64, "e_number": pl.String,
              "e_region": pl.String, "e_name": pl.String, "e_relation": pl.String, "e_phone": pl.String,
              "e_status": pl.String}
    sql = (f"SELECT p.id_number, p.id, p.household_id, h.number, r.code, p.name, p.relation, p.phone, p.status "
           f"FROM {person} p JOIN {household} h ON h.id = p.household_id JOIN {region} r ON r.id = h.region_id "
           "WHERE {in}")
    # chunk by chunk into columns: a re-import finds every person, and 470,000 rows as tuples take ~300 MB
    existing = pl.concat([pl.DataFrame(select_in(sql, "p.id_number", ids[start:start + LOOKUP_CHUNK]),
                                       schema=schema, orient="row")
                          for start in range(0, len(ids), LOOKUP_CHUNK)] or [pl.DataFrame(schema=schema)])
    frame = frame.join(existing, on="id_number", how="left", maintain_order="left")
    known_households = existing["e_household"].unique().to_list()
    member_counts = dict(select_in(f"SELECT household_id, COUNT(*) FROM {person} WHERE status = %s AND {{in}} "
                                 "GROUP BY household_id", "household_id", known_households,
                                 [PersonStatus.ACTIVE.value]))
    key = "household_key"
    n_rows = pl.len().over(key)
    n_known = pl.col("e_household").is_not_null().sum().over(key)
    one_household = (pl.col("e_household").n_unique().over(key) == 1) & (n_known == n_rows)
    db_members = pl.col("e_household").replace_strict(member_counts, default=0, return_dtype=pl.Int64)
    differs = _join_errors([
        _msg(pl.col("e_name") != pl.col("name"), pl.format("姓名已登记为“{}”", pl.col("e_name"))),
        _msg(pl.col("e_relation") != pl.col("relation_code"), "与户主关系与已登记的不同"),
        _msg((pl.col("phone") != "") & (pl.col("e_phone") != pl.col("phone")), "联系电话与已登记的不同"),
        _msg(pl.col("e_region") != pl.col("region_code"), pl.format("该户已登记在区划 {}", pl.col("e_region"))),
    ])
    frame = frame.with_columns(differs=differs)
    elsewhere = pl.col("e_household").is_not_null() & ~pl.col("e_region").str.starts_with(visible_prefix)
    db_error = (
        pl.when(elsewhere).then(pl.format(f"身份证号{{}}{ELSEWHERE}", pl.col("id_number")))
        .when(pl.col("e_status").is_not_null() & (pl.col("e_status") != PersonStatus.ACTIVE))
        .then(pl.format("身份证号{}的人员已登记为{}，如需恢复请在户详情页办理迁入", pl.col("id_number"),
                        pl.col("e_status").replace_strict({"deceased": "死亡", "moved_out": "迁出本县"}, default="")))
        .when(pl.col("e_household").is_not_null() & ~one_household)
        .then(pl.format("身份证号{}已登记在户 {}（姓名：{}），不能在其他户重复登记；如需迁入请先办理户间迁移",
                        pl.col("id_number"), pl.col("e_number"), pl.col("e_name")))
        .when(pl.col("e_household").is_null() & (n_known > 0))
        .then(pl.lit("同户其他成员已在系统中登记：已登记户的新增成员请在户详情页办理增员"))
        .when(one_household & (pl.col("differs") != ""))
        .then(pl.format("与已登记信息不一致：{}", pl.col("differs")))
        .when(one_household & (db_members != n_rows))
        .then(pl.format("户 {} 已登记 {} 位在册成员，本文件只列了 {} 位：以户为单位，请列全或先办理减员",
                        pl.col("e_number"), db_members, n_rows))
    )
    frame = frame.with_columns(error=pl.when(pl.col("error") != "").then(pl.col("error")).otherwise(db_error))
    frame = frame.with_columns(error=pl.col("error").fill_null(""))
    bad_household = (pl.col("error") != "").any().over(key)
    return frame.with_columns(
        error=pl.when((pl.col("error") == "") & bad_household)
        .then(pl.lit("同户其他行有错误，整户未导入")).otherwise(pl.col("error")),
        outcome=pl.when(bad_household).then(pl.lit("error"))
        .when(n_known == n_rows).then(pl.lit("unchanged")).otherwise(pl.lit("new")),
    )

