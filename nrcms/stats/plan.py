"""Setting the fund's plan for a scheme year (FundPlan): the county office (Cap.SCHEME_MANAGE, as for the
contribution standard), with the document it rests on, recorded in the audit trail with before and after."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.services import require
from nrcms.core.errors import ValidationFailed

from .models import FundPlan

FIELDS = {"planned_share": ("计划支出占预计收入比例", False), "ahead_margin": ("超进度预警幅度", True),
          "drug_share_limit": ("药占比上限", False)}


def _checked(name: str, value: Decimal | None) -> Decimal:
    label, zero_ok = FIELDS[name]
    if value is None:
        raise ValidationFailed("required", f"请填写{label}", field=name)
    if value > 100 or value < 0 or (value == 0 and not zero_ok):
        rule = "0–100" if zero_ok else "大于 0、不超过 100"
        raise ValidationFailed("invalid", f"{label}应在 {rule} 之间（百分数，最多两位小数），现为 {value}", field=name)
    return value.quantize(Decimal("0.01"))


@transaction.atomic
def fund_plan_set(*, actor: User, scheme_year: int, planned_share: Decimal | None, ahead_margin: Decimal | None,
                  drug_share_limit: Decimal | None, authority: str) -> FundPlan:
    require(actor, Cap.SCHEME_MANAGE)
    authority = (authority or "").strip()
    if not authority:
        raise ValidationFailed("required", "基金年度支出计划必须注明依据文件", field="authority")
    if len(authority) > 200:
        raise ValidationFailed("invalid", f"依据最长 200 个字符，现为 {len(authority)} 个", field="authority")
    values = {"planned_share": _checked("planned_share", planned_share),
              "ahead_margin": _checked("ahead_margin", ahead_margin),
              "drug_share_limit": _checked("drug_share_limit", drug_share_limit)}
    plan = FundPlan.objects.select_for_update().filter(scheme_year=scheme_year).first()
    before = {k: getattr(plan, k) for k in values} | {"authority": plan.authority} if plan else None
    if plan is None:
        plan = FundPlan(scheme_year=scheme_year)
    for key, value in values.items():
        setattr(plan, key, value)
    plan.authority, plan.set_by = authority, actor
    plan.save()
    audit_record(actor=actor, action="fund_plan.set", obj=plan, authority=authority, before=before,
                 after={"scheme_year": scheme_year, **values, "authority": authority})
    return plan
