"""Crude county-sized volume for timing queries (not a demo, not a feature): clones the demo's rows with SQL
generate_series into a scratch PostgreSQL database that already holds the demo (`nrcms migrate && nrcms
demo_load`). The rows are realistic in number and in shape (dates, facilities, kinds, reversals), not in content:
every settlement copies a demo settlement's amounts and every ledger entry a demo entry's lines.

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/nrcms_h10_bench python bench/scratch_volume.py --persons 470000

Defaults follow domain §11 (户县's first year): 470,000 persons in 4-person households, 400,000 enrolled,
15,000 inpatient and 52,000 outpatient settlements spread over 2026 (1 % reversed), one contribution entry
per household.

The rows go in by SQL, past the services, so the kept summaries the statistics read (the ledger's day summary, the
settlement facts, the enrolled persons per region) know nothing of them: run `nrcms stats rebuild-summaries`
afterwards."""

from __future__ import annotations

import argparse
import os
import time

import psycopg


def run(conn, sql: str, label: str, **params) -> None:
    t = time.perf_counter()
    cur = conn.execute(sql, params)
    print(f"{label:<40} {cur.rowcount:>9} 行  {time.perf_counter() - t:6.1f} s", flush=True)


def one(conn, sql: str, **params):
    return conn.execute(sql, params).fetchone()[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=470_000)
    ap.add_argument("--enrolled", type=int, default=400_000)
    ap.add_argument("--inpatient", type=int, default=15_000)
    ap.add_argument("--outpatient", type=int, default=52_000)
    ap.add_argument("--ledger-only", action="store_true", help="persons and settlements are there: add the ledger")
    a = ap.parse_args()
    url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        if a.ledger_only:
            return ledger(conn, a.persons // 4)
        if one(conn, "select count(*) from registry_household where number like 'B%%'"):
            raise SystemExit("已经生成过：请用新的数据库")
        households = a.persons // 4
        run(conn, """insert into registry_household (number, address, phone, is_active, created_at, region_id)
            select 'B' || lpad(g::text, 9, '0'), '', '', true, now(),
                   (select array_agg(id order by id) from registry_region where level = 'village')
                   [1 + g %% (select count(*) from registry_region where level = 'village')]
            from generate_series(0, %(n)s - 1) g""", "家庭户", n=households)
        h0 = one(conn, "select min(id) from registry_household where number like 'B%%'")
        run(conn, """insert into registry_person (id_number, name, name_initials, sex, birth_date, relation, phone,
                                                   status, status_date, household_id)
            select 'B' || lpad(g::text, 17, '0'), '测' || g, 'C', case when g %% 2 = 0 then 'M' else 'F' end,
                   date '1940-01-01' + (g %% 25000), case when g %% 4 = 0 then 'head' else 'child' end, '',
                   'active', null, %(h0)s + g / 4
            from generate_series(0, %(n)s - 1) g""", "人员", n=households * 4, h0=h0)
        p0 = one(conn, "select min(id) from registry_person where id_number like 'B%%'")
        run(conn, """insert into registry_enrollment (scheme_year, status, enrolled_at, household_id, person_id)
            select 2026, 'enrolled', now(), %(h0)s + g / 4, %(p0)s + g from generate_series(0, %(n)s - 1) g""",
            "参合（2026）", n=a.enrolled, h0=h0, p0=p0)
        e0 = one(conn, "select min(id) from registry_enrollment where person_id >= %(p0)s", p0=p0)
        n_ep = a.inpatient + a.outpatient
        # episode g: inpatient when g % 100 < share; person spread over the enrolled; dates over 1 Jan – 27 Nov
        share = round(100 * a.inpatient / n_ep)
        run(conn, """insert into claims_episode (serial, kind, scheme_year, admission_date, discharge_date,
                         diagnosis_code, diagnosis_name, department, status, created_at, created_by_id,
                         enrollment_id, facility_id, household_id, person_id, referral_id, cancel_reason)
            select 'B' || g, k.kind, 2026, date '2026-01-01' + (g %% 330),
                   case when k.kind = 'inpatient' then date '2026-01-01' + (g %% 330) + 6 end,
                   'I63.9', '脑梗死', '', 'settled', now(), null, %(e0)s + (g * 7919) %% %(en)s,
                   case when k.kind = 'inpatient' then 1 + g %% 2 else 3 + g %% 4 end,
                   %(h0)s + ((g * 7919) %% %(en)s) / 4, %(p0)s + (g * 7919) %% %(en)s, null, ''
            from generate_series(0, %(n)s - 1) g,
                 lateral (select case when g %% 100 < %(share)s then 'inpatient' else 'outpatient' end as kind) k""",
            "就诊（住院、门诊）", n=n_ep, e0=e0, en=a.enrolled, h0=h0, p0=p0, share=share)
        ep0 = one(conn, "select min(id) from claims_episode where serial like 'B%%'")
        tin = one(conn, "select min(s.id) from claims_settlement s join claims_episode e on e.id = s.episode_id "
                        "where e.kind = 'inpatient' and s.kind = 'settlement' and s.status = 'active'")
        tout = one(conn, "select min(s.id) from claims_settlement s join claims_episode e on e.id = s.episode_id "
                         "where e.kind = 'outpatient' and s.kind = 'settlement' and s.status = 'active'")
        amounts = ("total_cost, eligible_cost, deductible, basic, family_account, fixed_fee, subsidy, catastrophic, "
                   "assistance, safety_net, fund_total, self_pay, facility_borne")
        run(conn, f"""insert into claims_settlement (kind, status, number, scheme_id, scheme_version, scheme_effective,
                         inputs, result, {amounts}, idempotency_key, reason, settled_at, episode_id, reverses_id,
                         settled_by_id, issued)
            select 'settlement', case when e.id %% 100 = 7 then 'reversed' else 'active' end, 'BS' || e.id,
                   t.scheme_id, t.scheme_version, t.scheme_effective, '{{}}', '{{}}', {', '.join('t.' + c.strip()
                   for c in amounts.split(','))}, null, '',
                   (coalesce(e.discharge_date, e.admission_date) + time '10:00') at time zone 'Asia/Shanghai',
                   e.id, null, t.settled_by_id, null
            from claims_episode e join claims_settlement t
              on t.id = case when e.kind = 'inpatient' then %(tin)s else %(tout)s end
            where e.id >= %(ep0)s""", "结算", tin=tin, tout=tout, ep0=ep0)
        run(conn, f"""insert into claims_settlement (kind, status, number, scheme_id, scheme_version, scheme_effective,
                         inputs, result, {amounts}, idempotency_key, reason, settled_at, episode_id, reverses_id,
                         settled_by_id, issued)
            select 'reversal', 'active', 'BR' || s.episode_id, s.scheme_id, s.scheme_version, s.scheme_effective,
                   '{{}}', '{{}}', {', '.join('-s.' + c.strip() for c in amounts.split(','))}, null, '测试冲正',
                   s.settled_at + interval '3 days', s.episode_id, s.id, s.settled_by_id, null
            from claims_settlement s where s.number like 'BS%%' and s.status = 'reversed'""", "冲正")
        tin_ep, tout_ep = (one(conn, "select episode_id from claims_settlement where id = %(i)s", i=i)
                           for i in (tin, tout))
        run(conn, """insert into claims_chargeline (line_no, facility_item_code, item_name, charged_on, quantity,
                         unit_price, amount, catalogue_code, catalogue_class, first_self_pay_share, price_limit,
                         uploaded_at, episode_id, withdrawn_at, withdrawn_by_id, withdrawn_reason)
            select c.line_no, c.facility_item_code, c.item_name, e.admission_date, c.quantity, c.unit_price, c.amount,
                   c.catalogue_code, c.catalogue_class, c.first_self_pay_share, c.price_limit, now(), e.id, null,
                   null, ''
            from claims_episode e join claims_chargeline c
              on c.episode_id = case when e.kind = 'inpatient' then %(tin)s else %(tout)s end
             and c.withdrawn_at is null and c.line_no <= 12
            where e.id >= %(ep0)s""", "费用明细", tin=tin_ep, tout=tout_ep, ep0=ep0)
        ledger(conn, households)


def ledger(conn, households: int) -> None:
    """One entry per settlement row (the template's lines, debit and credit swapped for a reversal) and one
    contribution entry per household, dated over the collection campaign (October 2025 – March 2026)."""
    templates = {kind: one(conn, "select min(id) from claims_settlement where number not like 'B%%' and kind = "
                                 "'settlement' and episode_id in (select id from claims_episode where kind = %(k)s)",
                           k=kind) for kind in ("inpatient", "outpatient")}
    if not one(conn, "select count(*) from funding_journalentry where source_type = 'bench.settlement'"):
        run(conn, """insert into funding_journalentry (date, kind, description, source_type, source_id,
                         idempotency_key, created_at, created_by_id)
            select (s.settled_at at time zone 'Asia/Shanghai')::date,
                   case when s.kind = 'reversal' then 'settlement_reversal' else 'settlement' end, '结算',
                   'bench.settlement', s.id::text, null, now(), null
            from claims_settlement s where s.number like 'B%%'""", "记账：结算")
    for kind, template in templates.items():
        entry = one(conn, "select min(id) from funding_journalentry where source_type = 'claims.settlement' "
                          "and source_id = %(s)s", s=str(template))
        run(conn, """insert into funding_journalline (debit, credit, account_id, entry_id)
            select case when s.kind = 'reversal' then l.credit else l.debit end,
                   case when s.kind = 'reversal' then l.debit else l.credit end, l.account_id, j.id
            from funding_journalentry j join claims_settlement s on s.id = j.source_id::bigint
            join claims_episode e on e.id = s.episode_id and e.kind = %(kind)s
            join funding_journalline l on l.entry_id = %(entry)s
            where j.source_type = 'bench.settlement'""", f"记账分录：结算（{kind}）", kind=kind, entry=entry)
    tc = one(conn, "select min(id) from funding_journalentry where kind = 'contribution'")
    run(conn, """insert into funding_journalentry (date, kind, description, source_type, source_id,
                     idempotency_key, created_at, created_by_id)
        select date '2025-10-01' + (g %% 180), 'contribution', '缴费', 'bench.contribution', g::text, null,
               now(), null from generate_series(0, %(n)s - 1) g""", "记账：缴费", n=households)
    run(conn, """insert into funding_journalline (debit, credit, account_id, entry_id)
        select l.debit, l.credit, l.account_id, j.id from funding_journalentry j
        join funding_journalline l on l.entry_id = %(tc)s where j.source_type = 'bench.contribution'""",
        "记账分录：缴费", tc=tc)
    run(conn, "analyze", "analyze")


if __name__ == "__main__":
    main()
