"""Roles (domain.md §2) and what each may do. One role per account; a person with two duties gets two
accounts, which keeps separation of duties visible in the audit trail."""

from django.db import models


class Role(models.TextChoices):
    COUNTY_REVIEWER = "county_reviewer", "县合管办审核员"
    COUNTY_DIRECTOR = "county_director", "县合管办主任"
    COMMITTEE = "committee", "合管委/卫生局"
    TOWNSHIP_CLERK = "township_clerk", "乡镇合管办经办员"
    VILLAGE_CLERK = "village_clerk", "村合管小组/乡村医生"
    HOSPITAL_DESK = "hospital_desk", "定点医疗机构合疗科"
    FINANCE = "finance", "财政局（基金专户）"
    CIVIL_AFFAIRS = "civil_affairs", "民政/扶贫办"
    AUDITOR = "auditor", "监督委员会/审计"
    SYSTEM_ADMIN = "system_admin", "系统管理员"


class Cap:
    """Capabilities: the verbs a menu item or a service asks for."""

    REGISTRY_VIEW = "registry.view"
    REGISTRY_EDIT = "registry.edit"
    CONTRIBUTION_COLLECT = "contribution.collect"
    FACILITY_VIEW = "facility.view"
    FACILITY_MANAGE = "facility.manage"
    DESK_SETTLE = "claims.desk_settle"
    CLAIMS_REVIEW = "claims.review"
    REFERRAL_RECORD = "claims.referral_record"  # 转诊备案: the township for its residents, the county for anyone
    SCHEME_MANAGE = "scheme.manage"
    SCHEME_APPROVE = "scheme.approve"
    FUND_DISBURSE = "fund.disburse"
    FUND_YEAR_CLOSE = "fund.year_close"  # 年终结账: carry the family accounts into the next year
    FUND_VIEW = "fund.view"
    ASSISTANCE_MANAGE = "assistance.manage"
    AUDIT_VIEW = "audit.view"
    USERS_MANAGE = "users.manage"
    SYSTEM_BACKUP = "system.backup"  # see the backups and their verification (the CLI makes them)
    REPORTS_VIEW = "reports.view"
    # 个人信息保护: ID and phone numbers are masked everywhere; these roles may see one person's full numbers,
    # for a recorded reason, within their jurisdiction (nrcms/registry/reveal.py)
    PERSONAL_DATA_REVEAL = "personal_data.reveal"


_READ_ALL = {Cap.REGISTRY_VIEW, Cap.FACILITY_VIEW, Cap.FUND_VIEW, Cap.REPORTS_VIEW}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.COUNTY_REVIEWER: frozenset(
        _READ_ALL | {Cap.CLAIMS_REVIEW, Cap.SCHEME_MANAGE, Cap.FACILITY_MANAGE, Cap.REGISTRY_EDIT,
                     Cap.REFERRAL_RECORD, Cap.PERSONAL_DATA_REVEAL}
    ),
    Role.COUNTY_DIRECTOR: frozenset(_READ_ALL | {Cap.CLAIMS_REVIEW, Cap.SCHEME_APPROVE, Cap.AUDIT_VIEW,
                                                 Cap.REFERRAL_RECORD}),
    Role.COMMITTEE: frozenset(_READ_ALL | {Cap.SCHEME_APPROVE, Cap.AUDIT_VIEW}),
    Role.TOWNSHIP_CLERK: frozenset({Cap.REGISTRY_VIEW, Cap.REGISTRY_EDIT, Cap.CONTRIBUTION_COLLECT, Cap.REPORTS_VIEW,
                                    Cap.REFERRAL_RECORD, Cap.PERSONAL_DATA_REVEAL}),
    Role.VILLAGE_CLERK: frozenset({Cap.REGISTRY_VIEW, Cap.CONTRIBUTION_COLLECT}),
    Role.HOSPITAL_DESK: frozenset({Cap.DESK_SETTLE, Cap.FACILITY_VIEW}),
    Role.FINANCE: frozenset({Cap.FUND_VIEW, Cap.FUND_DISBURSE, Cap.FUND_YEAR_CLOSE, Cap.REPORTS_VIEW}),
    Role.CIVIL_AFFAIRS: frozenset({Cap.REGISTRY_VIEW, Cap.ASSISTANCE_MANAGE, Cap.REPORTS_VIEW}),
    Role.AUDITOR: frozenset(_READ_ALL | {Cap.AUDIT_VIEW}),
    Role.SYSTEM_ADMIN: frozenset({Cap.USERS_MANAGE, Cap.AUDIT_VIEW, Cap.REGISTRY_VIEW, Cap.FACILITY_VIEW,
                                  Cap.SYSTEM_BACKUP}),
}

# Roles whose jurisdiction is a facility rather than a region.
FACILITY_ROLES = frozenset({Role.HOSPITAL_DESK})
# Roles that must be bound to the county itself, not a township or village.
COUNTY_ROLES = frozenset(
    {Role.COUNTY_REVIEWER, Role.COUNTY_DIRECTOR, Role.COMMITTEE, Role.FINANCE, Role.CIVIL_AFFAIRS, Role.SYSTEM_ADMIN}
)
# The lowest level each region-bound role may be bound to.
ROLE_REGION_LEVELS: dict[str, frozenset[str]] = {
    Role.TOWNSHIP_CLERK: frozenset({"township"}),
    Role.VILLAGE_CLERK: frozenset({"village"}),
    Role.AUDITOR: frozenset({"county", "township"}),
    **{role: frozenset({"county"}) for role in COUNTY_ROLES},
}


def capabilities_of(role: str) -> frozenset[str]:
    return CAPABILITIES.get(role, frozenset())
