"""The statistics' part of the books check (nrcms.funding.checks): the settlement facts they read against the
settlements and manual claims. Registered when the app loads (apps.py)."""

from __future__ import annotations

from nrcms.funding.checks import BooksReport, compare_summary, register

from . import facts


def facts_check(report: BooksReport) -> None:
    """The settlement facts the statistics read (stats/facts.py) equal the settlements and manual claims."""
    compare_summary(report, facts.differences, "结算事实表", "结算记录", "逐条相符")


register("settlement_facts", 20, facts_check)
