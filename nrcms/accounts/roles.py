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
    SECURITY_ADMIN = "security_admin", "安全管理员"
    AUDIT_ADMIN = "audit_admin", "审计管理员"


class Cap:
    """Capabilities: the verbs a menu item or a service asks for."""

    REGISTRY_VIEW = "registry.view"
    REGISTRY_EDIT = "registry.edit"
    CONTRIBUTION_COLLECT = "contribution.collect"
    FACILITY_VIEW = "facility.view"
    FACILITY_MANAGE = "facility.manage"
    DESK_SETTLE = "claims.desk_settle"
    CLAIMS_REVIEW = "claims.review"
    CLAIMS_VIEW = "claims.view"  # 结算查询: read settlements of the jurisdiction's residents (never write)
    REFERRAL_RECORD = "claims.referral_record"  # 转诊备案: the township for its residents, the county for anyone
    SCHEME_MANAGE = "scheme.manage"
    SCHEME_APPROVE = "scheme.approve"
    FUND_DISBURSE = "fund.disburse"
    FUND_YEAR_CLOSE = "fund.year_close"  # 年终结账: carry the family accounts into the next year
    FUND_VIEW = "fund.view"
    ASSISTANCE_MANAGE = "assistance.manage"
    AUDIT_VIEW = "audit.view"  # supervision: reads business records kept for oversight (referrals)
    AUDIT_LOG = "audit.log"  # the audit trail itself: search, verify, export
    # 三员分立: the three administrators' verbs, split so that no one of them holds another's.
    USERS_VIEW = "users.view"  # the list of accounts and one account at a glance (both account administrators)
    USERS_ACCOUNTS = "users.accounts"  # an account's existence: create, deactivate/reactivate, name and phone
    USERS_GRANTS = "users.grants"  # role and jurisdiction, unlock, password reset, API tokens
    USERS_APPROVE = "users.approve"  # decide another administrator's request for a reviewing/paying account
    SECURITY_POLICY = "security.policy"  # the password and lockout policy
    SYSTEM_SETTINGS = "system.settings"  # technical settings: the county's division codes
    # Remove a user's two-step device and recovery codes (a lost phone): the security administrator's duty.
    TWO_FACTOR_RESET = "users.two_factor_reset"
    SYSTEM_BACKUP = "system.backup"  # see the backups and their verification (the CLI makes them)
    REPORTS_VIEW = "reports.view"
    # 个人信息保护: ID and phone numbers are masked everywhere; these roles may see one person's full numbers,
    # for a recorded reason, within their jurisdiction (nrcms/registry/reveal.py)
    PERSONAL_DATA_REVEAL = "personal_data.reveal"
    # complaints and inquiries (nrcms/complaints): the county office handles complaints; the committee and
    # auditors read them (their reads recorded); the county office and township clerks log inquiries
    COMPLAINTS_HANDLE = "complaints.handle"
    COMPLAINTS_VIEW = "complaints.view"
    INQUIRY_LOG = "inquiries.log"
    # 智能审核与审核队列 (nrcms/supervision): the county reviewer decides the hits (accept, deduct, refer,
    # refund) and runs the monthly batch; the director, the committee and the auditors read it all, read-only.
    SUPERVISION_REVIEW = "supervision.review"
    SUPERVISION_VIEW = "supervision.view"
    # 公示 (nrcms/disclosure): preview a month's lists and posters of the jurisdiction's villages (masked, as they
    # are posted), and publish a month so that the public page shows it.
    DISCLOSURE_VIEW = "disclosure.view"
    DISCLOSURE_PUBLISH = "disclosure.publish"
    # 健康扶贫 (issue 14, nrcms/poverty): the poverty registry's import and the patients' files are kept by civil
    # affairs (扶贫办) and the county office; the 90 % monitor and the files are read by those who oversee it.
    POVERTY_MANAGE = "poverty.manage"  # import the poverty office's list; record follow-ups and treatment plans
    POVERTY_VIEW = "poverty.view"  # the 90 % monitor, its drill-down and the one-file-per-patient pages
    # 定点机构监管 (issue 12): the monthly scorecards and their alerts (read), and the director's decision on a
    # warning, suspension, revocation or reinstatement the county office asks for (FACILITY_MANAGE asks).
    FACILITY_SUPERVISE = "facility.supervise"
    FACILITY_DESIGNATION_APPROVE = "facility.designation_approve"
    # 家庭医生签约 (issue 14, nrcms/family_doctors): teams, contracts and visits are kept by the county office and
    # the township clerks (contracts of their residents); the county office pays the fund's share each month
    # through the ledger; those who oversee read the contracts, signing rates and the list of the poor unsigned.
    FAMILY_DOCTOR_MANAGE = "family_doctor.manage"
    FAMILY_DOCTOR_PAY = "family_doctor.pay"
    FAMILY_DOCTOR_VIEW = "family_doctor.view"
    # 慢病、大病与家庭病床 (issue 14, nrcms/conditions): the county office and civil affairs keep the chronic-disease
    # register and the serious-illness records; the facility's desk opens, visits, closes and settles its home
    # sickbeds; the overseers read.
    CONDITIONS_MANAGE = "conditions.manage"
    CONDITIONS_VIEW = "conditions.view"
    HOME_SICKBED_MANAGE = "conditions.home_sickbed"


# The capabilities in the users' words, for refusals ("需要“查看参合登记”权限").
CAP_LABELS: dict[str, str] = {
    Cap.REGISTRY_VIEW: "查看参合登记", Cap.REGISTRY_EDIT: "办理参合登记", Cap.CONTRIBUTION_COLLECT: "收缴个人缴费",
    Cap.FACILITY_VIEW: "查看医疗机构", Cap.FACILITY_MANAGE: "管理定点医疗机构", Cap.DESK_SETTLE: "医院窗口结算",
    Cap.CLAIMS_REVIEW: "审核报销", Cap.REFERRAL_RECORD: "转诊备案", Cap.SCHEME_MANAGE: "管理补偿方案",
    Cap.SCHEME_APPROVE: "批准补偿方案", Cap.FUND_DISBURSE: "基金拨付", Cap.FUND_YEAR_CLOSE: "年终结账",
    Cap.FUND_VIEW: "查看基金", Cap.ASSISTANCE_MANAGE: "医疗救助与代缴", Cap.AUDIT_VIEW: "监督查阅",
    Cap.AUDIT_LOG: "查看审计记录", Cap.USERS_VIEW: "查看用户", Cap.USERS_ACCOUNTS: "管理账号",
    Cap.USERS_GRANTS: "角色授权与令牌", Cap.USERS_APPROVE: "审批账号申请", Cap.SECURITY_POLICY: "查看安全策略",
    Cap.SYSTEM_SETTINGS: "系统设置", Cap.TWO_FACTOR_RESET: "重置两步验证", Cap.CLAIMS_VIEW: "查看结算",
    Cap.PERSONAL_DATA_REVEAL: "查看完整号码",
    Cap.COMPLAINTS_HANDLE: "办理投诉", Cap.COMPLAINTS_VIEW: "查阅投诉", Cap.INQUIRY_LOG: "登记咨询",
    Cap.SYSTEM_BACKUP: "查看数据备份", Cap.REPORTS_VIEW: "查看统计报表",
    Cap.SUPERVISION_REVIEW: "智能审核处理", Cap.SUPERVISION_VIEW: "查阅智能审核",
    Cap.DISCLOSURE_VIEW: "查看公示", Cap.DISCLOSURE_PUBLISH: "发布公示",
    Cap.POVERTY_MANAGE: "管理贫困人口名单与档案", Cap.POVERTY_VIEW: "查看健康扶贫监测与档案",
    Cap.FACILITY_SUPERVISE: "查看定点机构监管指标", Cap.FACILITY_DESIGNATION_APPROVE: "批准定点处理",
    Cap.FAMILY_DOCTOR_MANAGE: "办理家庭医生签约", Cap.FAMILY_DOCTOR_PAY: "支付家庭医生签约服务费",
    Cap.FAMILY_DOCTOR_VIEW: "查看家庭医生签约",
    Cap.CONDITIONS_MANAGE: "管理慢病认定与大病救治", Cap.CONDITIONS_VIEW: "查看慢病、大病与家庭病床",
    Cap.HOME_SICKBED_MANAGE: "办理家庭病床",
}

_READ_ALL = {Cap.REGISTRY_VIEW, Cap.FACILITY_VIEW, Cap.FUND_VIEW, Cap.REPORTS_VIEW}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.COUNTY_REVIEWER: frozenset(
        _READ_ALL | {Cap.CLAIMS_REVIEW, Cap.CLAIMS_VIEW, Cap.SCHEME_MANAGE, Cap.FACILITY_MANAGE, Cap.REGISTRY_EDIT,
                     Cap.REFERRAL_RECORD, Cap.PERSONAL_DATA_REVEAL, Cap.COMPLAINTS_HANDLE, Cap.COMPLAINTS_VIEW,
                     Cap.INQUIRY_LOG, Cap.SUPERVISION_REVIEW, Cap.SUPERVISION_VIEW, Cap.DISCLOSURE_VIEW,
                     Cap.DISCLOSURE_PUBLISH, Cap.POVERTY_MANAGE, Cap.POVERTY_VIEW, Cap.FACILITY_SUPERVISE,
                     Cap.FAMILY_DOCTOR_MANAGE, Cap.FAMILY_DOCTOR_PAY, Cap.FAMILY_DOCTOR_VIEW,
                     Cap.CONDITIONS_MANAGE, Cap.CONDITIONS_VIEW}
    ),
    Role.COUNTY_DIRECTOR: frozenset(_READ_ALL | {Cap.CLAIMS_REVIEW, Cap.CLAIMS_VIEW, Cap.SCHEME_APPROVE, Cap.AUDIT_VIEW,
                                                 Cap.AUDIT_LOG, Cap.REFERRAL_RECORD, Cap.COMPLAINTS_HANDLE,
                                                 Cap.COMPLAINTS_VIEW, Cap.INQUIRY_LOG, Cap.SUPERVISION_VIEW,
                                                 Cap.DISCLOSURE_VIEW, Cap.DISCLOSURE_PUBLISH, Cap.POVERTY_VIEW,
                                                 Cap.FACILITY_SUPERVISE, Cap.FACILITY_DESIGNATION_APPROVE,
                                                 Cap.FAMILY_DOCTOR_VIEW, Cap.CONDITIONS_VIEW}),
    Role.COMMITTEE: frozenset(_READ_ALL | {Cap.CLAIMS_VIEW, Cap.SCHEME_APPROVE, Cap.AUDIT_VIEW, Cap.AUDIT_LOG,
                                           Cap.COMPLAINTS_VIEW, Cap.SUPERVISION_VIEW, Cap.POVERTY_VIEW,
                                           Cap.FACILITY_SUPERVISE, Cap.FAMILY_DOCTOR_VIEW,
                                           Cap.CONDITIONS_VIEW}),
    Role.TOWNSHIP_CLERK: frozenset({Cap.REGISTRY_VIEW, Cap.REGISTRY_EDIT, Cap.CONTRIBUTION_COLLECT, Cap.REPORTS_VIEW,
                                    Cap.REFERRAL_RECORD, Cap.CLAIMS_VIEW, Cap.PERSONAL_DATA_REVEAL, Cap.INQUIRY_LOG,
                                    Cap.DISCLOSURE_VIEW, Cap.DISCLOSURE_PUBLISH, Cap.FAMILY_DOCTOR_MANAGE,
                                    Cap.FAMILY_DOCTOR_VIEW}),
    # the village group posts the disclosure lists on the village wall (domain §2): it prints, never publishes
    Role.VILLAGE_CLERK: frozenset({Cap.REGISTRY_VIEW, Cap.CONTRIBUTION_COLLECT, Cap.DISCLOSURE_VIEW}),
    Role.HOSPITAL_DESK: frozenset({Cap.DESK_SETTLE, Cap.FACILITY_VIEW, Cap.HOME_SICKBED_MANAGE}),
    Role.FINANCE: frozenset({Cap.FUND_VIEW, Cap.FUND_DISBURSE, Cap.FUND_YEAR_CLOSE, Cap.REPORTS_VIEW}),
    Role.CIVIL_AFFAIRS: frozenset({Cap.REGISTRY_VIEW, Cap.ASSISTANCE_MANAGE, Cap.REPORTS_VIEW, Cap.POVERTY_MANAGE,
                                   Cap.POVERTY_VIEW, Cap.FAMILY_DOCTOR_VIEW, Cap.CONDITIONS_MANAGE,
                                   Cap.CONDITIONS_VIEW}),
    Role.AUDITOR: frozenset(_READ_ALL | {Cap.AUDIT_VIEW, Cap.AUDIT_LOG, Cap.CLAIMS_VIEW, Cap.COMPLAINTS_VIEW,
                                         Cap.SUPERVISION_VIEW, Cap.DISCLOSURE_VIEW, Cap.POVERTY_VIEW,
                                         Cap.FACILITY_SUPERVISE, Cap.FAMILY_DOCTOR_VIEW,
                                         Cap.CONDITIONS_VIEW}),
    # The system administrator reads no residents' data (no registry, no audit log: it holds personal data).
    Role.SYSTEM_ADMIN: frozenset({Cap.USERS_VIEW, Cap.USERS_ACCOUNTS, Cap.USERS_APPROVE, Cap.FACILITY_VIEW,
                                  Cap.SYSTEM_SETTINGS, Cap.SYSTEM_BACKUP}),
    Role.SECURITY_ADMIN: frozenset({Cap.USERS_VIEW, Cap.USERS_GRANTS, Cap.USERS_APPROVE, Cap.SECURITY_POLICY,
                                    Cap.TWO_FACTOR_RESET}),
    # The audit administrator reads the audit log, its verification and exports; no business data.
    Role.AUDIT_ADMIN: frozenset({Cap.AUDIT_LOG}),
}

# Capabilities that review, approve or pay out: an account holding one is made (or given such a role) only
# with a second administrator's approval. The administrators' own grant and approval powers are in the set
# too: otherwise one administrator could make a second administrator account and approve with it.
APPROVAL_CAPABILITIES = frozenset({Cap.CLAIMS_REVIEW, Cap.SUPERVISION_REVIEW, Cap.SCHEME_APPROVE, Cap.FUND_DISBURSE,
                                   Cap.FUND_YEAR_CLOSE, Cap.USERS_GRANTS, Cap.USERS_APPROVE,
                                   Cap.FACILITY_DESIGNATION_APPROVE})
# Derived from the capabilities, so a role that later gains one of them needs approval without anyone
# remembering to add it to a list.
APPROVAL_ROLES = frozenset(role for role, caps in CAPABILITIES.items() if caps & APPROVAL_CAPABILITIES)

# Roles whose jurisdiction is a facility rather than a region.
FACILITY_ROLES = frozenset({Role.HOSPITAL_DESK})
# Roles that must be bound to the county itself, not a township or village.
COUNTY_ROLES = frozenset(
    {Role.COUNTY_REVIEWER, Role.COUNTY_DIRECTOR, Role.COMMITTEE, Role.FINANCE, Role.CIVIL_AFFAIRS, Role.SYSTEM_ADMIN,
     Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
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


def needs_approval(role: str) -> bool:
    """Whether an account of this role may only come into force with a second administrator's approval."""
    return role in APPROVAL_ROLES
