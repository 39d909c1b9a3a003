"""The books check's parts owned by other apps register themselves (funding imports none of the apps that post to
the ledger), and the report keeps one order: the ledger's day summary, the settlement facts, the settlements, the
disbursements, the refunds and advances, the year closes."""

import ast
from pathlib import Path

import pytest

from nrcms.funding import checks

pytestmark = pytest.mark.django_db

FUNDING = Path(checks.__file__).parent


def test_every_app_registers_its_part_in_the_report_order():
    assert {name: order for name, (order, _) in checks._PARTS.items()} == {
        "settlement_facts": 20, "settlements": 30, "disbursements": 40, "refunds_and_advances": 50}
    facts = checks.books_check().facts
    starts = ["记账分录按日汇总", "结算事实表", "结算基金支付合计", "拨付医疗机构合计", "已追回待支付患者返还"]
    positions = [next(i for i, f in enumerate(facts) if f.startswith(s)) for s in starts]
    assert positions == sorted(positions)


def test_funding_imports_no_app_that_posts_to_it():
    """claims → funding, payments → funding, stats → funding: never the other way (the house's data flows down)."""
    above = ("nrcms.claims", "nrcms.payments", "nrcms.stats", "nrcms.supervision", "nrcms.disclosure")
    offenders = []
    for path in FUNDING.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(above)]
    assert offenders == []
