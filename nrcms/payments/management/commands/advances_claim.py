from django.core.management.base import BaseCommand, CommandError

from nrcms.core.errors import NrcmsError
from nrcms.payments.advances import advance_claim_create
from nrcms.payments.models import AdvanceLayer


class Command(BaseCommand):
    help = ("生成一站式垫付申报单：nrcms advances claim --month 2026-10 [--layer catastrophic|assistance|safety_net]。"
            "不指定类别时大病保险、医疗救助、兜底保障各生成一张；已生成的返回原单，没有未申报垫付的类别跳过。")

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="申报月份，形如 2026-10（须已结束）")
        parser.add_argument("--layer", default="", choices=["", *AdvanceLayer.values], help="垫付类别；不填为全部")

    def handle(self, *args, month, layer="", **options):
        layers = [layer] if layer else list(AdvanceLayer.values)
        for code in layers:
            label = AdvanceLayer(code).label
            try:
                claim, created = advance_claim_create(actor=None, layer=code, month=month)
            except NrcmsError as exc:
                if exc.code in ("empty_month", "not_positive"):
                    self.stdout.write(f"  {label}：{exc.message}")
                    continue
                raise CommandError(exc.message) from exc
            self.stdout.write(f"  {claim.number} {label} {claim.line_count} 笔 {claim.amount} 元"
                              f"{'' if created else '（已存在）'}")
        self.stdout.write(self.style.SUCCESS("完成"))
