"""The menu: each entry names the capability it needs, so each role sees only its own work.
Later capabilities add their entries here, in the group where their users look for them."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from nrcms.accounts.roles import Cap


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    capability: str | tuple[str, ...] | None  # None: every signed-in user; a tuple: any one of them
    county_only: bool = False  # only for accounts bound to the whole county (e.g. the county-wide fund report)


@dataclass(frozen=True)
class MenuGroup:
    label: str
    items: tuple[MenuItem, ...]


MENU: tuple[MenuGroup, ...] = (
    MenuGroup(_("工作台"), (MenuItem(_("首页"), "home", None),)),
    MenuGroup(_("参合登记"), (
        MenuItem(_("家庭户"), "household_list", Cap.REGISTRY_VIEW),
        MenuItem(_("人员查询"), "person_search", Cap.REGISTRY_VIEW),
        MenuItem(_("花名册导入"), "roster_import", Cap.REGISTRY_EDIT),
        MenuItem(_("转诊备案"), "referral_list", (Cap.REFERRAL_RECORD, Cap.AUDIT_VIEW)),
        MenuItem(_("行政区划"), "region_list", Cap.REGISTRY_VIEW),
    )),
    MenuGroup(_("筹资"), (
        MenuItem(_("缴费登记"), "contribution_list", Cap.CONTRIBUTION_COLLECT),
        MenuItem(_("未参合、未缴费户"), "outstanding_list", Cap.CONTRIBUTION_COLLECT),
        MenuItem(_("民政代缴"), "contribution_list", Cap.ASSISTANCE_MANAGE),
        MenuItem(_("筹资进度"), "collection_progress", (Cap.REGISTRY_VIEW, Cap.FUND_VIEW)),
        MenuItem(_("筹资标准"), "contribution_standard_list", Cap.FUND_VIEW),
        MenuItem(_("补助资金申报"), "subsidy_claim", Cap.FUND_VIEW),
        MenuItem(_("基金账簿"), "ledger", Cap.FUND_VIEW),
        MenuItem(_("年终结账"), "year_close", Cap.FUND_VIEW),
    )),
    MenuGroup(_("医院结算"), (
        MenuItem(_("结算台"), "desk_home", Cap.DESK_SETTLE),
        MenuItem(_("当日结算清单"), "desk_daily", Cap.DESK_SETTLE),
        MenuItem(_("结算查询"), "settlement_search", (Cap.DESK_SETTLE, Cap.CLAIMS_VIEW)),
        MenuItem(_("月结算单"), "statement_list", Cap.DESK_SETTLE),
        MenuItem(_("每日对账"), "reconciliation_list", Cap.DESK_SETTLE),
    )),
    MenuGroup(_("县外报销"), (
        MenuItem(_("手工报销"), "manual_list", Cap.CLAIMS_REVIEW),
        MenuItem(_("报销公示"), "manual_notice", Cap.CLAIMS_REVIEW),
    )),
    MenuGroup(_("医院拨付"), (
        MenuItem(_("月结算单审核与拨付"), "statement_list", Cap.FUND_VIEW),
        MenuItem(_("医院对账情况"), "reconciliation_list", Cap.FUND_VIEW),
        MenuItem(_("患者返还"), "refund_list", (Cap.CLAIMS_REVIEW, Cap.FUND_VIEW)),
        MenuItem(_("垫付申报与回款"), "advance_list", Cap.FUND_VIEW),
    )),
    MenuGroup(_("医疗机构"), (
        MenuItem(_("定点医疗机构"), "facility_list", Cap.FACILITY_VIEW),
        MenuItem(_("监管指标"), "scorecard_list", Cap.FACILITY_SUPERVISE, county_only=True),
        MenuItem(_("监管预警"), "facility_alert_list", Cap.FACILITY_SUPERVISE, county_only=True),
        MenuItem(_("定点处理申请"), "designation_request_list", Cap.FACILITY_SUPERVISE),
        MenuItem(_("补偿目录"), "catalogue_list", Cap.FACILITY_VIEW),
        MenuItem(_("诊断编码"), "diagnosis_list", Cap.FACILITY_VIEW),
    )),
    MenuGroup(_("补偿方案"), (
        MenuItem(_("方案管理"), "scheme_list", (Cap.SCHEME_MANAGE, Cap.SCHEME_APPROVE)),
        MenuItem(_("方案对比"), "scheme_diff", (Cap.SCHEME_MANAGE, Cap.SCHEME_APPROVE)),
    )),
    MenuGroup(_("统计报表"), (
        MenuItem(_("局长驾驶舱"), "stats_dashboard", Cap.REPORTS_VIEW),
        MenuItem(_("统计指标"), "stats_home", Cap.REPORTS_VIEW),
        MenuItem(_("三级台账"), "stats_ledgers", Cap.REPORTS_VIEW),
        MenuItem(_("基金收支月报"), "stats_fund_monthly", Cap.REPORTS_VIEW, county_only=True),
        MenuItem(_("补偿情况月报"), "stats_reimbursement_monthly", Cap.REPORTS_VIEW),
        MenuItem(_("年度汇总"), "stats_year_summary", Cap.REPORTS_VIEW),
        MenuItem(_("基金年度支出计划"), "stats_plan", Cap.REPORTS_VIEW, county_only=True),
        MenuItem(_("方案测算"), "simulation_home", Cap.SCHEME_MANAGE),
    )),
    MenuGroup(_("监督审计"), (
        MenuItem(_("智能审核队列"), "supervision_queue", (Cap.SUPERVISION_REVIEW, Cap.SUPERVISION_VIEW)),
        MenuItem(_("月度智能审核"), "supervision_runs", (Cap.SUPERVISION_REVIEW, Cap.SUPERVISION_VIEW)),
        MenuItem(_("审核规则"), "supervision_rules", (Cap.SUPERVISION_REVIEW, Cap.SUPERVISION_VIEW)),
        MenuItem(_("抽查比例"), "supervision_sampling", (Cap.SUPERVISION_REVIEW, Cap.SUPERVISION_VIEW)),
        MenuItem(_("审计记录"), "audit_list", Cap.AUDIT_LOG),
        MenuItem(_("投诉办理"), "complaint_list", (Cap.COMPLAINTS_HANDLE, Cap.COMPLAINTS_VIEW), county_only=True),
        MenuItem(_("咨询登记"), "inquiry_list", (Cap.INQUIRY_LOG, Cap.COMPLAINTS_VIEW)),
    )),
    MenuGroup(_("公示"), (
        MenuItem(_("补偿公示"), "disclosure_home", Cap.DISCLOSURE_VIEW),
        MenuItem(_("公众查询页"), "public_disclosure", Cap.DISCLOSURE_VIEW),
    )),
    MenuGroup(_("健康扶贫"), (
        MenuItem(_("90%保障监测"), "poverty_monitor", Cap.POVERTY_VIEW),
        MenuItem(_("一人一档"), "poverty_patients", Cap.POVERTY_VIEW),
        MenuItem(_("扶贫办名单导入"), "poverty_imports", Cap.POVERTY_MANAGE),
        MenuItem(_("慢性病认定"), "conditions_chronic", Cap.CONDITIONS_VIEW),
        MenuItem(_("大病集中救治"), "conditions_serious", Cap.CONDITIONS_VIEW),
        MenuItem(_("家庭病床"), "conditions_sickbeds", (Cap.CONDITIONS_VIEW, Cap.HOME_SICKBED_MANAGE)),
    )),
    MenuGroup(_("家庭医生签约"), (
        MenuItem(_("签约管理"), "fd_contracts", Cap.FAMILY_DOCTOR_VIEW),
        MenuItem(_("家庭医生团队"), "fd_teams", Cap.FAMILY_DOCTOR_VIEW),
        MenuItem(_("签约服务费支付"), "fd_fees", Cap.FAMILY_DOCTOR_VIEW),
        MenuItem(_("签约率统计"), "fd_rates", Cap.FAMILY_DOCTOR_VIEW),
        MenuItem(_("未签约贫困人口"), "fd_unsigned", Cap.FAMILY_DOCTOR_VIEW),
    )),
    MenuGroup(_("系统管理"), (
        MenuItem(_("用户管理"), "user_list", Cap.USERS_VIEW),
        MenuItem(_("账号审批"), "account_request_list", Cap.USERS_APPROVE),
        MenuItem(_("接口令牌"), "token_list", Cap.USERS_GRANTS),
        MenuItem(_("密码与锁定策略"), "security_policy", Cap.SECURITY_POLICY),
        MenuItem(_("区划代码载入"), "regions_load", Cap.SYSTEM_SETTINGS),
        MenuItem(_("数据备份"), "backup_list", Cap.SYSTEM_BACKUP),
    )),
)


def menu_for(user) -> list[dict]:
    from nrcms.accounts.selectors import jurisdiction_of

    groups, county = [], None
    for group in MENU:
        items = []
        for item in group.items:
            needed = (item.capability,) if isinstance(item.capability, str) else item.capability
            if needed is not None and not any(user.can(c) for c in needed):
                continue
            if item.county_only:
                county = jurisdiction_of(user).is_county if county is None else county
                if not county:
                    continue
            try:
                items.append({"label": str(item.label), "url": reverse(item.url_name), "name": item.url_name})
            except NoReverseMatch:
                continue
        if items:
            groups.append({"label": str(group.label), "items": items})
    return groups
