"""nrcms scheme approve ID --user DIRECTOR [--authority 文号] [--effective-from D]: simulate if not yet, then approve."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from nrcms.accounts.models import User
from nrcms.core.errors import NrcmsError
from nrcms.schemes.models import SchemeStatus
from nrcms.schemes.selectors import version_get
from nrcms.schemes.services import scheme_approve, scheme_simulate


class Command(BaseCommand):
    help = "批准补偿方案版本（须已模拟测算：--simulate-as 指定测算人可先测算；批准人不能是上传人）"

    def add_arguments(self, parser):
        parser.add_argument("id", help="方案版本编号（nrcms scheme upload 显示）")
        parser.add_argument("--user", required=True, help="批准人账号（县合管办主任）")
        parser.add_argument("--authority", default="", help="批准依据（文号）")
        parser.add_argument("--effective-from", default=None, help="生效日期 YYYY-MM-DD（默认上传时所定）")
        parser.add_argument("--simulate-as", default="", help="尚未测算时，以此账号（县合管办）先对上一年度数据测算")

    def handle(self, *args, **o):
        user = User.objects.filter(username=o["user"]).first()
        if user is None:
            raise CommandError(f"账号 {o['user']} 不存在")
        try:
            version = version_get(o["id"])
            if version.status == SchemeStatus.CHECKED and o["simulate_as"]:
                clerk = User.objects.filter(username=o["simulate_as"]).first()
                if clerk is None:
                    raise CommandError(f"账号 {o['simulate_as']} 不存在")
                version = scheme_simulate(actor=clerk, version=version)
                s = version.simulation
                self.stdout.write(f"测算（{s.get('year')} 年度 {s.get('claims')} 笔）：原方案 {s.get('old_total')} 元，"
                                  f"新方案 {s.get('new_total')} 元，金额变化 {s.get('changed')} 笔")
            effective = dt.date.fromisoformat(o["effective_from"]) if o["effective_from"] else None
            version = scheme_approve(actor=user, version=version, authority=o["authority"], effective_from=effective)
        except ValueError as exc:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{exc}") from exc
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"已批准方案版本 {version.pk}：{version.label}，自 {version.effective_from} 起生效")
