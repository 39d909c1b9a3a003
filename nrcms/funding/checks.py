"""The books check: every entry balanced to the fen, and the ledger agreeing with the registry; the parts other
apps own (their rows against what the ledger holds for them) are registered by those apps (`register`)."""

from __future__ import annotations

from collections.abc import Callable
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


_PARTS: dict[str, tuple[int, Callable[[BooksReport], None]]] = {}


def register(name: str, order: int, check: Callable[[BooksReport], None]) -> None:
    """A part of the books check that another app owns (the desks' settlements, the payments' disbursements and
    refunds, the statistics' settlement facts): each registers its own when Django loads it (AppConfig.ready), so
    the ledger imports none of the apps that post to it. `order` places it in the report (the ledger's own
    parts: the day summary 10, the year closes 60)."""
    _PARTS[name] = (order, check)


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
    parts = {"ledger_day_summary": (10, _check_summary), "year_closes": (60, _check_year_closes), **_PARTS}
    for _, check in sorted(parts.values(), key=lambda part: part[0]):
        check(report)
    if scheme_year is not None:
        _check_year(report, scheme_year)
    return report


def compare_summary(report: BooksReport, differences, name: str, source: str, agreement: str) -> None:
    """A summary the statistics read against what it sums: its differences as a problem, or the agreement."""
    count, shown = differences()
    if count:
        report.problems.append(f"{name}有 {count} 处与{source}不符（可运行 nrcms stats rebuild-summaries 重算）："
                               + "；".join(shown))
    else:
        report.facts.append(f"{name}与{source}{agreement}")


def _check_summary(report: BooksReport) -> None:
    """The day summary the statistics read (summary.py) equals the lines, row by row."""
    compare_summary(report, summary.differences, "记账分录按日汇总", "分录行", "逐日相符")


def _check_year(report: BooksReport, year: int) -> None:
    from .selectors import paid_by_person, standard_for, subsidy_claim

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
