"""The books check: every entry balanced to the fen, and the ledger agreeing with the registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from nrcms.core.money import ZERO, round_amount
from nrcms.registry.models import Enrollment, EnrollmentStatus

from . import ledger, summary
from .models import ContributionLine, JournalLine


@dataclass
class BooksReport:
    problems: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def books_check(scheme_year: int | None = None) -> BooksReport:
    report = BooksReport()
    for entry_id, debit, credit in ledger.unbalanced_entries():
        report.problems.append(f"分录 #{entry_id} 借贷不平：借 {debit}，贷 {credit}")
    sums = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    debit, credit = ledger.fen_sum(sums["d"]), ledger.fen_sum(sums["c"])
    report.facts.append(f"全部分录借方合计 {round_amount(debit)}，贷方合计 {round_amount(credit)}")
    if debit != credit:
        report.problems.append(f"试算不平：借方 {debit} ≠ 贷方 {credit}")
    contributions = ledger.fen_sum(ContributionLine.objects.aggregate(t=Sum("amount"))["t"])
    posted = (JournalLine.objects.filter(entry__kind__in=["contribution", "contribution_reversal"],
                                         account__code=ledger.FUND_ACCOUNT)
              .aggregate(d=Sum("debit"), c=Sum("credit")))
    posted_net = ledger.fen_sum(posted["d"]) - ledger.fen_sum(posted["c"])
    report.facts.append(f"收据合计 {round_amount(contributions)}，基金专户入账 {round_amount(posted_net)}")
    if contributions != posted_net:
        report.problems.append(f"个人缴费收据合计 {contributions} 与基金专户入账 {posted_net} 不符")
    _check_summary(report)
    _check_facts(report)
    _check_settlements(report)
    _check_disbursements(report)
    _check_refunds_and_advances(report)
    _check_year_closes(report)
    if scheme_year is not None:
        _check_year(report, scheme_year)
    return report


def _compare_summary(report: BooksReport, differences, name: str, source: str, agreement: str) -> None:
    """A summary the statistics read against what it sums: its differences as a problem, or the agreement."""
    count, shown = differences()
    if count:
        report.problems.append(f"{name}有 {count} 处与{source}不符（可运行 nrcms stats rebuild-summaries 重算）："
                               + "；".join(shown))
    else:
        report.facts.append(f"{name}与{source}{agreement}")


def _check_summary(report: BooksReport) -> None:
    """The day summary the statistics read (summary.py) equals the lines, row by row."""
    _compare_summary(report, summary.differences, "记账分录按日汇总", "分录行", "逐日相符")


def _check_facts(report: BooksReport) -> None:
    """The settlement facts the statistics read (stats/facts.py) equal the settlements and manual claims."""
    from nrcms.stats import facts

    _compare_summary(report, facts.differences, "结算事实表", "结算记录", "逐条相符")


def _check_year(report: BooksReport, year: int) -> None:
    from .selectors import subsidy_claim
    from .services import paid_by_person, standard_for

    standard = standard_for(year)
    enrolled_ids = list(Enrollment.objects.filter(scheme_year=year, status=EnrollmentStatus.ENROLLED)
                        .values_list("person_id", flat=True))
    paid = paid_by_person(year, enrolled_ids)
    over = [pid for pid, total in paid.items() if total > standard.personal_amount]
    if over:
        report.problems.append(f"{len(over)} 人个人缴费超过标准 {standard.personal_amount} 元")
    expected_max = standard.personal_amount * len(enrolled_ids)
    collected = sum(paid.values(), ZERO)
    report.facts.append(f"{year} 年度参合 {len(enrolled_ids)} 人，应缴 {expected_max}，已缴 {collected}")
    strangers = (ContributionLine.objects.filter(contribution__scheme_year=year)
                 .exclude(person_id__in=enrolled_ids).values("person_id").annotate(t=Sum("amount"))
                 .exclude(t=Decimal("0")))
    if strangers:
        report.problems.append(f"{len(strangers)} 名未参合人员有 {year} 年度缴费余额")
    claim = subsidy_claim(scheme_year=year)
    for level, due in claim["totals"].items():
        posted = ledger.posted_total(ledger.account(ledger.SUBSIDY_RECEIVABLE[level]), kind=f"subsidy_due_{year}")
        if posted > due:
            report.problems.append(f"{ledger.LEVEL_LABELS[level]}财政补助应收已记 {posted}，超过参合人数 × 标准 {due}")
        report.facts.append(f"{ledger.LEVEL_LABELS[level]}财政补助：应补 {due}，已记应收 {posted}")


def _check_year_closes(report: BooksReport) -> None:
    from .year_close import close_facts_and_problems

    facts, problems = close_facts_and_problems()
    report.facts += facts
    report.problems += problems


def _check_settlements(report: BooksReport) -> None:
    """What the desks settled (net of reversals) equals what the ledger owes the facilities for it."""
    from nrcms.claims.models import Settlement

    settled = ledger.fen_sum(Settlement.objects.aggregate(t=Sum("fund_total"))["t"])
    lines = (JournalLine.objects.filter(entry__kind__in=["settlement", "settlement_reversal"],
                                        account__code__startswith="2201-")
             .aggregate(d=Sum("debit"), c=Sum("credit")))
    posted = ledger.fen_sum(lines["c"]) - ledger.fen_sum(lines["d"])
    report.facts.append(f"结算基金支付合计 {round_amount(settled)}，应付医疗机构入账 {round_amount(posted)}")
    if settled != posted:
        report.problems.append(f"结算单基金支付合计 {settled} 与应付医疗机构入账 {posted} 不符")


def _check_disbursements(report: BooksReport) -> None:
    """What the ledger paid out to each facility (拨付) never exceeds what the county review approved."""
    try:
        from nrcms.payments.models import FacilityStatement
    except ImportError:  # the payments app not installed
        return
    approved: dict[str, Decimal] = {}
    for code, amount in (FacilityStatement.objects.filter(approved_amount__isnull=False)
                         .values_list("facility__code", "approved_amount")):
        approved[code] = approved.get(code, ZERO) + amount
    paid = (JournalLine.objects.filter(entry__kind="facility_disbursement", account__code__startswith="2201-")
            .values("account__code").annotate(d=Sum("debit"), c=Sum("credit")))
    total = ZERO
    for row in paid:
        code, amount = row["account__code"].removeprefix("2201-"), ledger.fen_sum(row["d"]) - ledger.fen_sum(row["c"])
        total += amount
        if amount > approved.get(code, ZERO):
            report.problems.append(f"医疗机构 {code} 已拨付 {amount}，超过审定应拨付 {approved.get(code, ZERO)}")
    report.facts.append(f"拨付医疗机构合计 {round_amount(total)}，审定应拨付合计 {round_amount(sum(approved.values(), ZERO))}")


def _check_refunds_and_advances(report: BooksReport) -> None:
    """2202 holds the refunds recovered and not yet paid to patients; each of 1301–1303 equals its claims not
    yet repaid plus what was advanced and not yet claimed (payments/refunds.py, payments/advances.py)."""
    from nrcms.payments.advances import receivable_check
    from nrcms.payments.models import PatientRefund, RefundStatus

    owed = ledger.fen_sum(PatientRefund.objects.filter(status=RefundStatus.RECOVERED).aggregate(t=Sum("amount"))["t"])
    held = ledger.balance(ledger.REFUNDS_PAYABLE)
    report.facts.append(f"已追回待支付患者返还 {round_amount(owed)}，应付参合患者返还款余额 {round_amount(held)}")
    if owed != held:
        report.problems.append(f"已追回待支付患者返还 {owed} 与科目 2202 余额 {held} 不符")
    for row in receivable_check():
        report.facts.append(f"{row['code']} {row['label']}垫付应收余额 {row['balance']}：申报未回款 {row['outstanding']}，"
                            f"未申报 {row['unclaimed']}，手工报销 {row['manual']}")
        if row["difference"]:
            report.problems.append(f"{row['code']} {row['label']}垫付应收余额 {row['balance']} 与申报未回款、未申报之和相差 "
                                   f"{row['difference']}")
