"""nrcms scheme upload FILE --region CODE --year Y [--effective-from D] [--label L] --user USERNAME"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from nrcms.accounts.models import User
from nrcms.core.errors import NrcmsError
from nrcms.registry.models import Region
from nrcms.schemes.services import scheme_upload


class Command(BaseCommand):
    help = "上传补偿方案文件并校验（scheme check），记为该县该年度的一个方案版本"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--region", required=True, help="统筹地区（县）的区划代码，如 610125000000")
        parser.add_argument("--year", required=True, type=int, help="方案年度")
        parser.add_argument("--effective-from", default=None, help="生效日期 YYYY-MM-DD（默认该年 1 月 1 日）")
        parser.add_argument("--label", default="", help="版本名称（默认取文件中的方案名称）")
        parser.add_argument("--user", required=True, help="以哪个账号的名义上传（县合管办审核员，记入审计）")

    def handle(self, *args, **o):
        user = User.objects.filter(username=o["user"]).first()
        region = Region.objects.filter(code=o["region"]).first()
        if user is None or region is None:
            raise CommandError(f"账号 {o['user']} 不存在" if user is None else f"区划代码 {o['region']} 不存在")
        try:
            effective = dt.date.fromisoformat(o["effective_from"]) if o["effective_from"] else None
            path = Path(o["file"])
            version = scheme_upload(actor=user, region=region, year=o["year"], content=path.read_text(encoding="utf-8"),
                                    file_name=path.name, label=o["label"], effective_from=effective)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise CommandError(f"读不了方案文件或日期：{exc}") from exc
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"方案版本 {version.pk}：{version.label}（{version.year} 年度，{version.effective_from} 起）"
                          f"——{version.get_status_display()}")
        for path_, message in version.check_errors:
            self.stdout.write(f"  {path_}：{message}")
        if not version.parsed_ok:
            raise CommandError("校验未通过，请改正文件后重新上传")
