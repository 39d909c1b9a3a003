"""Forms of the administrator's pages: users, their jurisdiction, passwords and API tokens. The jurisdiction
is chosen from the region tree and the facility list (a grouped select), never typed as a 12-digit code."""

from __future__ import annotations

from django import forms

from nrcms.accounts import selectors
from nrcms.accounts.password_policy import password_help
from nrcms.accounts.roles import Cap, Role

NO_REGION = ("", "——（医疗机构账号不选）——")
NO_FACILITY = ("", "——（仅医疗机构合疗科账号选择）——")


class JurisdictionForm(forms.Form):
    """Role plus region or facility. Options come from the actor's own region tree."""

    role = forms.ChoiceField(label="角色", choices=Role.choices)
    region_code = forms.ChoiceField(label="管辖区域", required=False,
                                    help_text="县、乡镇或行政村；按乡镇分组。医疗机构账号不选")
    facility_code = forms.ChoiceField(label="所属机构", required=False, help_text="仅医疗机构合疗科账号选择")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = [NO_REGION, *selectors.region_choices(actor=actor)]
        self.fields["facility_code"].choices = [NO_FACILITY, *(
            (f.code, f"{f.name}（{f.code}）") for f in selectors.facility_list(actor=actor))]
        self.fields["region_code"].error_messages["invalid_choice"] = "管辖区域“%(value)s”不在区划树中"
        self.fields["facility_code"].error_messages["invalid_choice"] = "机构“%(value)s”不存在"

    def field_for(self, service_field: str | None) -> str | None:
        """Where a service's refusal belongs on this form."""
        name = {"region": "region_code", "facility": "facility_code"}.get(service_field or "", service_field)
        return name if name in self.fields else None


class UserCreateForm(JurisdictionForm):
    username = forms.CharField(label="用户名", max_length=150)
    display_name = forms.CharField(label="姓名", max_length=40)
    phone = forms.CharField(label="电话", max_length=20, required=False)
    password = forms.CharField(label="初始密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    authority = forms.CharField(label="依据（文件或审批单号）", max_length=200, required=False)

    field_order = ["username", "display_name", "role", "region_code", "facility_code", "phone", "password",
                   "authority"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = password_help()


class UserEditForm(JurisdictionForm):
    display_name = forms.CharField(label="姓名", max_length=40)
    phone = forms.CharField(label="电话", max_length=20, required=False)
    reason = forms.CharField(label="修改原因", max_length=500, help_text="如“调任余下镇”，记入审计记录")
    authority = forms.CharField(label="依据（文件或审批单号）", max_length=200, required=False)

    field_order = ["display_name", "role", "region_code", "facility_code", "phone", "reason", "authority"]

    def __init__(self, *args, actor, **kwargs):
        """三员分立: the fields the actor may not change are shown, disabled (the initial value is kept)."""
        super().__init__(*args, actor=actor, **kwargs)
        locked = [] if actor.can(Cap.USERS_GRANTS) else ["role", "region_code", "facility_code"]
        locked += [] if actor.can(Cap.USERS_ACCOUNTS) else ["display_name", "phone"]
        for name in locked:
            self.fields[name].disabled = True
            self.fields[name].help_text = "由另一位管理员修改（三员分立）"


class PasswordResetForm(forms.Form):
    new_password = forms.CharField(
        label="临时密码", required=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="留空则由系统生成 12 位临时密码；用户下次登录必须先修改密码")
    reason = forms.CharField(label="原因", max_length=500, help_text="如“本人电话申请，已核实身份”")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password"].help_text += "。自行填写时须符合密码策略：" + password_help()


class TokenCreateForm(forms.Form):
    username = forms.ChoiceField(label="账号", help_text="令牌的权限与该账号相同（医院账号只能访问本机构数据）")
    name = forms.CharField(label="用途", max_length=80, help_text="如“县医院 HIS 接口”")
    expires_on = forms.DateField(label="到期日", required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text="不填则按系统默认有效期；到期后令牌自动失效，请提前创建新令牌")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        users = selectors.user_list(actor=actor).filter(is_active=True)
        self.fields["username"].choices = [("", "——请选择——"), *(
            (u.username, f"{u.username}（{u.display_name}，{u.get_role_display()}）") for u in users)]
        self.fields["username"].error_messages["invalid_choice"] = "账号“%(value)s”不存在或已停用"
