"""Complaints (投诉举报) and inquiries (咨询) [domain §13; seed 003: 18 complaints, each investigated and
answered; 22,600 inquiries answered]. A complaint arrives through the public page (no login: the complainant
gets a tracking code), the hotline, a visit or the suggestion box; the county office assigns it, investigates
(notes), answers within the deadline and closes it with an outcome. An inquiry is logged with its topic and the
answer given, to be counted."""

from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    PUBLIC_WEB = "web", "网上投诉"
    HOTLINE = "hotline", "投诉电话"
    VISIT = "visit", "来访"
    LETTER = "letter", "意见箱（信件）"


class ComplaintKind(models.TextChoices):
    REIMBURSEMENT = "reimbursement", "报销不合理或未报销"
    OVERCHARGE = "overcharge", "医疗机构违规收费"
    FRAUD = "fraud", "冒名顶替、虚假住院"
    SERVICE = "service", "服务态度与办事效率"
    ENROLLMENT = "enrollment", "参合缴费"
    OTHER = "other", "其他"


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", "已受理"
    INVESTIGATING = "investigating", "调查中"
    CLOSED = "closed", "已办结"


class Outcome(models.TextChoices):
    SUBSTANTIATED = "substantiated", "属实"
    PARTLY = "partly", "部分属实"
    UNFOUNDED = "unfounded", "不属实"
    NOT_ACCEPTED = "not_accepted", "不属于受理范围"


class Complaint(models.Model):
    code = models.CharField("查询码", max_length=16, unique=True)
    channel = models.CharField("来源", max_length=10, choices=Channel.choices)
    kind = models.CharField("类别", max_length=16, choices=ComplaintKind.choices)
    subject = models.CharField("标题", max_length=100)
    content = models.TextField("内容", max_length=4000)
    complainant_name = models.CharField("投诉人", max_length=40, blank=True)
    complainant_phone = models.CharField("联系电话", max_length=20, blank=True)
    facility = models.ForeignKey("facilities.Facility", verbose_name="被投诉机构", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="complaints")
    region = models.ForeignKey("registry.Region", verbose_name="所在乡镇", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField("受理时间")
    deadline = models.DateField("办理期限")
    status = models.CharField("状态", max_length=14, choices=ComplaintStatus.choices,
                              default=ComplaintStatus.RECEIVED)
    assigned_to = models.ForeignKey("accounts.User", verbose_name="承办人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField("调查结论", max_length=14, choices=Outcome.choices, blank=True)
    answer = models.TextField("答复内容", max_length=4000, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_by = models.ForeignKey("accounts.User", verbose_name="办结人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey("accounts.User", verbose_name="登记人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+", help_text="网上投诉为空")

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = "投诉"
        verbose_name_plural = "投诉"
        indexes = [models.Index(fields=["status", "deadline"], name="complaint_status_deadline")]

    def __str__(self) -> str:
        return f"{self.code} {self.subject}"


class ComplaintNote(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="notes")
    text = models.TextField("调查记录", max_length=4000)
    author = models.ForeignKey("accounts.User", verbose_name="记录人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "调查记录"
        verbose_name_plural = "调查记录"

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.text[:20]}"


class InquiryTopic(models.TextChoices):
    ENROLLMENT = "enrollment", "参合与缴费"
    POLICY = "policy", "报销政策"
    REFERRAL = "referral", "转诊备案"
    PROGRESS = "progress", "报销进度"
    CERTIFICATE = "certificate", "合作医疗证"
    OTHER = "other", "其他"


class Inquiry(models.Model):
    topic = models.CharField("咨询类别", max_length=12, choices=InquiryTopic.choices)
    channel = models.CharField("方式", max_length=10, choices=Channel.choices, default=Channel.HOTLINE)
    question = models.CharField("咨询内容", max_length=500)
    answer = models.CharField("答复", max_length=1000)
    region = models.ForeignKey("registry.Region", verbose_name="受理单位", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    answered_by = models.ForeignKey("accounts.User", verbose_name="答复人", on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField("答复时间", auto_now_add=True)

    class Meta:
        ordering = ["-answered_at", "-pk"]
        verbose_name = "咨询"
        verbose_name_plural = "咨询"

    def __str__(self) -> str:
        return f"{self.get_topic_display()}: {self.question[:20]}"
