"""The audit trail in the auditor's words: one registry of Chinese labels for action codes, object types and
the fields recorded before and after a change. A test parses every audit_record call in the code and fails
when an action code has no label here, so a new action cannot reach the audit page as a bare code."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

ACTION_LABELS: dict[str, str] = {
    # accounts
    "user.create": "新建用户",
    "ops.backup": "数据备份",
    "ops.restore": "从备份恢复",
    "ops.backup_verify": "校验备份",
    "roster.import_stale": "花名册导入标记为中断",
    "roster.import_resume": "继续花名册导入",
    "user.login": "登录",
    "user.logout": "退出登录",
    "mapping.propose": "提出收费项目对照",
    "mapping.approve": "批准收费项目对照",
    "mapping.reject": "驳回收费项目对照",
    "audit.archive": "归档审计记录",
    "user.update": "修改用户（角色、辖区、电话）",
    "family_account.year_close": "家庭账户年终结账",
    "ledger_summary.rebuild": "重算记账分录按日汇总",
    "settlement_facts.rebuild": "重算结算事实表",
    "enrolled_counts.rebuild": "重算按区划参合人数汇总",
    "statement.deduction_withdraw": "撤回违规扣款",
    "statement.return": "退回月结算单",
    "statement.resubmit": "重新报送月结算单",
    "region.load": "导入区划代码",
    "user.activate": "启用用户",
    "user.deactivate": "停用用户",
    "user.reset_password": "重置密码",
    "user.change_password": "修改密码",
    "user.locked": "连续密码错误锁定账号",
    "user.unlock": "解锁账号",
    "totp.enrol_start": "生成两步验证密钥（待确认）",
    "totp.enrol": "启用两步验证",
    "totp.failed": "两步验证码错误",
    "totp.recovery_code_used": "使用恢复码登录",
    "totp.recovery_codes_regenerate": "重新生成恢复码",
    "totp.disable": "停用两步验证",
    "totp.reset": "管理员重置两步验证",
    "token.create": "创建接口令牌",
    "token.revoke": "吊销接口令牌",
    "account_request.create": "提交账号申请（待另一位管理员审批）",
    "account_request.approve": "批准账号申请",
    "account_request.reject": "驳回账号申请",
    # complaints
    "complaint.create": "受理投诉",
    "complaint.assign": "交办投诉",
    "complaint.note": "添加投诉调查记录",
    "complaint.close": "答复并办结投诉",
    "complaint.view": "查阅投诉（监督）",
    "inquiry.create": "登记咨询",
    # registry
    "region.create": "新增行政区划",
    "region.update": "修改行政区划",
    "roster.import": "导入花名册",
    "roster.import_batch": "导入花名册（批次）",
    # simulation (方案测算)
    "simulation.run": "发起方案测算",
    "simulation.finish": "方案测算结束",
    "simulation.stale": "方案测算中断（超时无进度，标为失败）",
    "simulation.retry": "重新计算方案测算",
    "household.register": "建档立户",
    "household.set_head": "变更户主",
    "household.enroll": "参合登记",
    "household.enrollment_cancel": "取消参合",
    "certificate.issue": "发放合作医疗证",
    "certificate.reissue": "补发合作医疗证",
    "certificate.issue_batch": "批量发放合作医疗证",
    # nrcms demo build: the generated county's bulk steps, one audit row per batch
    "region.group_batch": "批量建立村民小组",
    "facility.clinic_batch": "批量登记村卫生室",
    "contribution.record_batch": "批量收缴个人缴费",
    "settlement.settle_batch": "批量结算就诊",
    "person.register": "人员建档",
    "person.birth": "出生增员",
    "person.marriage_in": "婚入增员",
    "person.move_in": "迁入本县增员",
    "person.move": "户间迁移",
    "person.death": "死亡减员",
    "person.marriage_out": "婚出减员",
    "person.move_out": "迁出本县减员",
    "person.update_contact": "修改联系方式",
    "person.category_grant": "认定人员类别",
    "person.category_end": "终止人员类别",
    "person.category_grant_batch": "批量认定人员类别",
    "person.view": "查看人员信息",
    "household.view": "查看户信息",
    "person.search_id": "按身份证号查询人员",
    "desk.lookup_limited": "医院窗口查询过于频繁被拒绝",
    "person.reveal": "查看完整身份证号和电话",
    "export": "导出个人信息（Excel/PDF）",
    # funding
    "standard.set": "设定筹资标准",
    "fund_plan.set": "设定基金年度支出计划与预警参数",
    "contribution.record": "个人缴费登记",
    "contribution.reverse": "冲销缴费",
    "contribution.cadre_repaid": "干部垫缴归还",
    "subsidy.receivable": "确认财政补助应收",
    "subsidy.received": "财政补助到账",
    # facilities
    "facility.create": "新增定点医疗机构",
    "facility.update": "修改定点医疗机构",
    "facility.status": "变更定点状态",
    "facility.status_withdraw": "撤回定点状态变更",
    # facility supervision (issue 12): scorecard alerts, assessments, designation requests
    "facility.alert_raise": "机构监管指标超阈值预警",
    "facility.alert_update": "更新监管预警指标值",
    "facility.alert_acknowledge": "处理监管预警",
    "facility.assessment": "登记定点机构考核",
    "facility.designation_request": "提交定点处理申请",
    "facility.designation_approve": "批准定点处理申请",
    "facility.designation_reject": "驳回定点处理申请",
    "catalogue.add": "新增目录项目",
    "catalogue.close": "停用目录项目",
    "diagnosis.add": "新增诊断编码",
    "diagnosis.update": "修改诊断编码",
    "mapping.set": "设置收费项目对照",
    # claims
    "episode.register": "就诊登记",
    "episode.charges": "上传费用明细",
    "episode.discharge": "出院登记",
    "episode.charge_withdraw": "撤回费用明细",
    "episode.cancel": "取消就诊",
    "episode.referral_attach": "补登转诊",
    "settlement.settle": "即时结报",
    "settlement.reverse": "冲销结算",
    "manual_claim.record": "手工报销登记",
    "manual_claim.notice": "手工报销公示",
    "manual_claim.settle": "手工报销结算",
    "manual_claim.reverse": "冲销手工报销",
    "manual_claim.reject": "不予报销",
    "referral.record": "转诊登记",
    "referral.cancel": "撤销转诊",
    # payments
    "statement.generate": "生成月结算单",
    "statement.review": "开始审核月结算单",
    "statement.deduct": "违规扣款",
    "statement.approve": "审定月结算单",
    "statement.disburse": "拨付",
    # refunds to patients and the window's advances (payments/refunds.py, payments/advances.py)
    "refund.create": "登记患者返还",
    "refund.pay": "支付患者返还",
    "advance_claim.create": "生成垫付申报单",
    "advance_claim.send": "报送垫付申报单",
    "advance_claim.repay": "登记垫付回款",
    "reconciliation.submit": "提交日对账",
    # supervision (智能审核)
    "supervision.run": "月度智能审核",
    "supervision.decide": "审核疑点处理",
    "supervision.confirm": "复核违规扣款",
    "supervision.deduction_post": "违规扣款计入月结算单",
    "supervision.sampling_rate": "设置抽查比例",
    "supervision.view": "查阅智能审核",
    # schemes (补偿方案管理)
    "scheme.upload": "上传补偿方案（并校验）",
    "scheme.simulate": "补偿方案模拟测算",
    "scheme.approve": "批准补偿方案",
    # disclosure
    "disclosure.publish": "发布公示",
    # 健康扶贫 (nrcms/poverty)
    "poverty.import": "导入扶贫办贫困人口名单",
    "poverty.follow_up": "记录贫困患者随访",
    "poverty.treatment_plan": "记录贫困患者治疗方案",
    # 家庭医生签约 (nrcms/family_doctors)
    "family_doctor.team_create": "新建家庭医生团队",
    "family_doctor.team_update": "修改家庭医生团队",
    "family_doctor.contract_sign": "家庭医生签约",
    "family_doctor.contract_renew": "家庭医生续签",
    "family_doctor.contract_cancel": "家庭医生解约",
    "family_doctor.contract_expire": "家庭医生签约到期",
    "family_doctor.visit": "记录家庭医生签约服务",
    "family_doctor.fee_pay": "支付家庭医生签约服务费（记账）",
    # 慢病、大病与家庭病床 (nrcms/conditions)
    "chronic.certify": "登记慢性病认定",
    "chronic.revoke": "撤销慢性病认定",
    "chronic.follow_up": "记录慢病随访",
    "serious.record": "登记大病集中救治",
    "serious.close": "结束大病集中救治",
    "serious.follow_up": "记录大病患者随访",
    "sickbed.open": "家庭病床建床",
    "sickbed.visit": "家庭病床查床计费",
    "sickbed.close": "家庭病床撤床",
    "sickbed.settle": "家庭病床结算",
    "family_doctor.contract_sign_batch": "批量生成家庭医生签约（演示县）",
}

# Models whose verbose_name is still English, and object types that name no model (a batch, a subsidy claim).
OBJECT_TYPE_LABELS: dict[str, str] = {
    "accounts.user": "用户",
    "ops.backup": "数据备份",
    "ops.backuprecord": "备份记录",
    "accounts.loginthrottle": "登录失败计数",
    "accounts.ratecounter": "查询频率计数",
    "funding.yearclose": "年终结账",
    "accounts.apitoken": "接口令牌",
    "accounts.accountchangerequest": "账号变更申请",
    "registry.region": "行政区划",
    "registry.household": "户",
    "registry.person": "人员",
    "registry.personcategory": "人员类别",
    "registry.personevent": "人员变动",
    "registry.enrollment": "参合",
    "registry.certificate": "合作医疗证",
    "registry.importjob": "花名册导入",
    "funding.contributionstandard": "筹资标准",
    "stats.fundplan": "基金年度支出计划",
    "funding.contribution": "缴费",
    "funding.subsidy": "财政补助",
    "funding.journalentry": "基金记账凭证",
    "facilities.facility": "定点医疗机构",
    "facilities.catalogueitem": "目录项目",
    "facilities.diagnosis": "诊断编码",
    "facilities.chargemapping": "收费项目对照",
    "claims.episode": "就诊",
    "claims.referral": "转诊单",
    "claims.settlement": "结算单",
    "claims.manualclaim": "手工报销单",
    "payments.facilitystatement": "月结算单",
    "payments.dailyreconciliation": "日对账",
    "payments.statementline": "月结算单明细",
    "payments.statementdeduction": "违规扣款记录",
    "payments.patientrefund": "患者返还",
    "payments.advanceclaim": "垫付申报单",
    "payments.advanceclaimline": "垫付申报明细",
    "payments.advancerepayment": "垫付回款",
    "claims.chargeline": "费用明细",
    "claims.personyear": "年度累计",
    "facilities.designationchange": "定点状态变更",
    "facilities.facilityalert": "机构监管预警",
    "facilities.facilityassessment": "定点机构考核记录",
    "facilities.designationrequest": "定点处理申请",
    "funding.account": "基金科目",
    "funding.contributionline": "缴费明细",
    "funding.journalline": "记账分录",
    "registry.enrollmentexemption": "未参合登记",
    "registry.numbersequence": "编号序列",
    "supervision.audithit": "审核疑点",
    "supervision.auditrun": "月度智能审核",
    "supervision.reviewdecision": "审核处理意见",
    "supervision.samplingrate": "抽查比例",
    "export": "导出文件",
    "disclosure.publication": "公示发布记录",
}

# Keys recorded in before/after that are not model fields, or whose model field has an English verbose_name.
FIELD_LABELS: dict[str, str] = {
    "settlements": "结算笔数", "hits": "疑点数", "new_hits": "新增疑点", "seconds": "用时（秒）", "rule": "审核规则",
    "decided_by": "审核人", "statement": "月结算单", "carried": "结转下月", "rate": "抽查比例",
    "problems": "校验问题数", "label": "版本名称", "simulation_run": "模拟测算批次", "run": "测算批次", "claims": "测算笔数", "old_total": "原方案基金支付", "new_total": "新方案基金支付", "changed": "变化笔（人）数", "year": "年度",  # schemes
    "created": "创建时间", "heartbeat_at": "最近进展时间", "media_files": "附件文件数", "ok": "通过",
    "path": "位置", "resumed": "继续次数", "row_counts": "各表行数", "rows_done": "已处理行数",
    "sha256": "校验和（SHA-256）", "size": "大小",
    "bound_to": "绑定机构或辖区", "expires_at": "到期时间", "ip": "客户端地址", "locked": "锁定",
    "scope": "锁定范围",
    "second_factor": "第二步验证方式", "purpose": "验证用途", "remaining": "剩余恢复码", "recovery_codes": "恢复码个数",
    "two_factor_enrolled": "已启用两步验证",
    "patients": "公示人次", "reimbursed": "补偿合计",  # disclosure.publish
    "via": "途径", "found": "查到人数", "limit": "每分钟上限", "window_start": "计数起始时间", "client": "客户端",
    "count": "条数", "file": "文件", "file_sha256": "文件校验和（SHA-256）", "first_seq": "起始序号",
    "last_seq": "截止序号",
    "closing_date": "结账日期", "opening_date": "结转日期", "negative_households": "余额为负的户数",
    "deduction": "扣款", "must_change_password": "须修改密码", "refused": "拒绝", "renamed": "更名",
    "revoked": "已吊销",
    "username": "账号", "display_name": "姓名", "role": "角色", "region": "区划", "facility": "机构",
    "phone": "电话", "is_active": "有效", "user": "用户", "name": "名称", "code": "编码", "level": "层级",
    "parent": "上级", "agricultural_population": "农业人口", "number": "编号", "address": "地址",
    "id_number": "身份证号", "sex": "性别", "birth_date": "出生日期", "household": "户", "relation": "与户主关系",
    "status": "状态", "head": "户主", "old_head_relation": "原户主改为", "category": "人员类别",
    "valid_from": "起始日期", "valid_to": "截止日期", "scheme_year": "参合年度", "enrolled": "参合人员",
    # nrcms demo build's batch records
    "by_payer": "按缴费方", "clinics": "村卫生室数", "first_day": "首日", "last_day": "末日", "groups": "村民小组数",
    "receipts": "收据数", "villages": "行政村数",
    "persons": "人数", "households": "户数", "certificates": "证数", "first": "首个证号", "last": "末个证号",
    "voided": "作废原证", "in_county": "县内", "effective_date": "生效日期", "scheduled": "预约生效",
    "withdrawn": "已撤回", "change_id": "变更编号", "kind": "类别", "catalogue_class": "甲乙丙类",
    "first_self_pay_share": "先行自付比例", "price_limit": "限价", "unit": "单位", "authority": "依据",
    "edition": "版本", "facility_item_code": "院内收费编码", "catalogue_code": "目录编码",
    "effective_from": "生效日期", "personal_amount": "个人缴费标准", "central_subsidy": "中央补助",
    "provincial_subsidy": "省级补助", "county_subsidy": "县级补助", "family_account_amount": "家庭账户划入",
    "central": "中央补助", "provincial": "省级补助", "county": "县级补助",
    "receipt": "收据号", "payer_kind": "缴费方式", "payer_name": "缴费人", "total": "金额", "repaid_on": "归还日期",
    "reversal": "冲销单号", "reference": "凭证号", "amount": "金额", "serial": "就诊流水号", "person": "人员",
    "admission_date": "入院日期", "discharge_date": "出院日期", "added": "新增明细", "unchanged": "未变明细",
    "lines": "笔数", "line_no": "明细行号", "referral": "转诊单", "cancelled": "已撤销", "episode": "就诊",
    "scheme_version": "补偿方案版本", "total_cost": "医疗总费用", "fund_total": "基金支付", "self_pay": "个人自付",
    "eligible_cost": "可补偿费用", "approved_on": "批准日期", "valid_until": "有效期至",
    "diagnosis_code": "诊断编码", "from_facility": "转出机构", "to_facility": "转入机构", "to_name": "转入机构名称",
    "reason": "原因", "notice_from": "公示起始", "notice_amount": "公示金额", "month": "月份",
    "deduction_total": "扣款合计", "base_amount": "违规金额", "multiplier": "倍数", "approved_amount": "审定应拨付",
    "settlement": "涉及结算单", "date": "日期", "result": "结果", "differences": "差异笔数",
    "file_hash": "文件校验值", "rows": "行数", "households_created": "新建户数", "persons_created": "新建人数",
    "exempted": "未参合人员", "households_unchanged": "未变户数", "item_name": "项目名称", "members": "成员",
    "papers_received_on": "材料受理日期", "payable_from": "可支付日期", "persons_enrolled": "参合人数",
    "rows_error": "错误行数", "status_date": "状态日期", "unreferred": "未经转诊",
    "what": "导出内容", "filters": "筛选条件", "revealed": "查看的号码",
    "reason_kind": "原因类别", "recovery_total": "患者返还追回", "brought_forward": "上月结转扣款",
    "carried_forward": "结转下月扣款", "repaid_amount": "已回款", "layer": "垫付类别",
    "schemes": "测算方案", "income": "当年筹资", "project_years": "预测年数", "growth": "增长假设",
    "episodes_file": "就诊数据文件", "message": "说明", "progress": "进度（%）", "retry_of": "重新计算自",
    "manual_lines": "手工报销笔数",
    "as_of": "名单日期", "unmatched": "未匹配行数", "invalid": "无效行数", "note": "说明",
    "text": "内容", "monitored": "监测户",
    "subject": "标题", "channel": "来源（方式）", "deadline": "办理期限", "outcome": "调查结论", "answer": "答复内容",
    "assigned_to": "承办人", "question": "咨询内容", "topic": "咨询类别",  # complaints and inquiries
    "measure": "指标", "value": "指标值", "threshold": "阈值", "assessed_on": "考核日期", "score": "考核得分",
    "assessor": "考核人（组）", "action": "处理类别",
    "team": "家庭医生团队", "package": "服务包", "start": "起始日期", "end": "终止日期", "fee": "年服务费",
    "fee_fund": "基金承担", "fee_person": "个人承担", "fee_public_health": "公共卫生经费承担", "renews": "续签自",
    "cancelled_on": "解约日期", "cancel_reason": "解约原因", "contracts": "签约编号", "contract": "签约",
    "member": "服务人员", "contract_months": "计费签约数", "fund_fees": "签约基金承担年费合计", "entry": "记账分录",
    "blood_pressure": "血压", "by_whom": "随访人", "case": "大病救治记录", "certificate": "慢性病认定",
    "certified_on": "认定日期", "close_note": "结束说明", "closed_on": "结束（撤床）日期", "disease": "病种",
    "disease_code": "病种编码", "doctor": "责任医生", "glucose": "血糖", "opened_on": "建床日期", "pathway": "临床路径",
    "planned_days": "计划天数", "revoked_on": "撤销日期", "started_on": "开始救治日期",  # nrcms/conditions
    "services": "服务内容", "item_code": "收费项目编码", "unit_price": "单价", "quantity": "数量",  # home sickbed visits
    "family_doctor_fee_total": "家庭医生签约服务费",
    "poor": "其中建档立卡贫困户签约",
    "wubao": "五保", "dibao": "低保", "tekun": "特困", "registered_poor": "建档立卡贫困户", "disabled": "残疾",
}

# The same key meaning different things on different objects.
FIELD_LABELS_BY_TYPE: dict[tuple[str, str], str] = {
    ("funding.contribution", "persons"): "缴费人员",
    ("registry.household", "enrolled"): "参合人员",
    ("payments.facilitystatement", "amount"): "拨付金额",
    ("poverty.povertyimport", "unchanged"): "无变化人数",
}

_CJK = re.compile(r"[\u3400-\u9fff\U00020000-\U0003134f]")
NO_VALUE = "—"


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text or ""))


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def model_of(object_type: str):
    try:
        return apps.get_model(object_type) if "." in object_type else None
    except LookupError:
        return None


def object_type_label(object_type: str) -> str:
    if object_type in OBJECT_TYPE_LABELS:
        return OBJECT_TYPE_LABELS[object_type]
    model = model_of(object_type)
    if model is not None and has_chinese(str(model._meta.verbose_name)):
        return str(model._meta.verbose_name)
    return object_type


def object_type_choices() -> list[tuple[str, str]]:
    return sorted(OBJECT_TYPE_LABELS.items(), key=lambda kv: kv[0])


def action_choices() -> list[tuple[str, str]]:
    return sorted(ACTION_LABELS.items(), key=lambda kv: kv[0])


def _field(object_type: str, key: str):
    model = model_of(object_type)
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def field_label(object_type: str, key: str) -> str:
    """The model field's verbose_name where it is Chinese, else the registry's word, else the key itself."""
    if (object_type, key) in FIELD_LABELS_BY_TYPE:
        return FIELD_LABELS_BY_TYPE[(object_type, key)]
    field = _field(object_type, key)
    verbose = str(getattr(field, "verbose_name", "") or "")
    if has_chinese(verbose):
        return verbose
    return FIELD_LABELS.get(key, key)


def _choice_label(object_type: str, key: str, value) -> str | None:
    field = _field(object_type, key)
    choices = dict(getattr(field, "flatchoices", None) or [])
    if not choices and key == "category":
        from nrcms.registry.models import Category

        choices = dict(Category.choices)
    if not choices and key == "role":
        from .roles import Role

        choices = dict(Role.choices)
    label = choices.get(value)
    return str(label) if label is not None else None


class RelatedNames:
    """Names of the rows a snapshot recorded by id (a user's region, a facility …), looked up once each."""

    LIMIT = 2000  # a huge export touching thousands of households shows ids past this rather than query each

    def __init__(self):
        self._cache: dict[tuple[str, object], str] = {}

    def name(self, object_type: str, key: str, value) -> str | None:
        field = _field(object_type, key)
        if field is None or not getattr(field, "many_to_one", False) or not isinstance(value, int):
            return None
        model = field.related_model
        cache_key = (model._meta.label_lower, value)
        if cache_key not in self._cache:
            if len(self._cache) >= self.LIMIT:
                return f"#{value}"
            row = model._default_manager.filter(pk=value).first()
            self._cache[cache_key] = str(row) if row is not None else f"#{value}"
        return self._cache[cache_key]


def value_text(object_type: str, key: str, value, names: RelatedNames | None = None) -> str:
    """A recorded value as an auditor reads it: choices by their Chinese name, yes/no, lists joined, and (given
    names) a related row by its name rather than its id."""
    if value is None or value == "":
        return NO_VALUE
    if names is not None:
        name = names.name(object_type, key, value)
        if name is not None:
            return name
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(value_text(object_type, key, v) for v in value) or NO_VALUE
    if isinstance(value, dict):
        return "；".join(f"{field_label(object_type, k)}：{value_text(object_type, k, v)}" for k, v in value.items())
    if isinstance(value, str):
        label = _choice_label(object_type, key, value)
        if label is not None:
            return label
    return str(value)


def change_rows(entry, names: RelatedNames | None = None) -> list[tuple[str, str | None, str]]:
    """(field label, old text or None when nothing was recorded before, new text): only the fields that
    changed when both sides were recorded, every field otherwise."""
    before, after = entry.before, entry.after
    if not isinstance(before, dict | None) or not isinstance(after, dict | None):
        return [("", json.dumps(before, ensure_ascii=False), json.dumps(after, ensure_ascii=False))]
    before, after = before or {}, after or {}
    keys: Iterable[str] = dict.fromkeys([*before, *after])
    if before and after:
        keys = [k for k in keys if before.get(k) != after.get(k)]
    t = entry.object_type
    return [(field_label(t, k), value_text(t, k, before.get(k), names) if before else None,
             value_text(t, k, after.get(k), names)) for k in keys]


def changes_text(entry, names: RelatedNames | None = None) -> str:
    """The change rows on one line each, for the Excel export."""
    return "\n".join(f"{label}：{old} → {new}" if old is not None else f"{label}：{new}"
                     for label, old, new in change_rows(entry, names))
