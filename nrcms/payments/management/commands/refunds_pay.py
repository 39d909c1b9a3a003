from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.accounts.models import User
from nrcms.core.errors import NrcmsError
from nrcms.core.money import ZERO
from nrcms.payments.common import month_parse
from nrcms.payments.refunds import refund_pay, refunds_payable


class Command(BaseCommand):
    help = ("批量支付患者返还：nrcms refunds pay --month 2026-10 --reference 批量凭证号 --user 财政账号。"
            "支付该月月结算单已追回、尚未支付的全部返还（借 2202 / 贷 1001），每笔记审计；重复执行不重复支付。")

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="追回所在月结算单的月份，形如 2026-10")
        parser.add_argument("--reference", required=True, help="支付凭证号（银行批量代发回单号）")
        parser.add_argument("--user", required=True, help="记为支付人的财政局（基金专户）账号")

    def handle(self, *args, month, reference, user, **options):
        try:
            first = month_parse(month)
        except NrcmsError as exc:
            raise CommandError(exc.message) from exc
        actor = User.objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"账号 {user} 不存在")
        rows = list(refunds_payable(month=first))
        total, failures = ZERO, []
        for refund in tqdm(rows, desc=f"支付 {first:%Y-%m} 患者返还", unit="笔", disable=len(rows) < 10):
            try:
                refund_pay(actor=actor, refund=refund, reference=reference, idempotency_key=None)
            except NrcmsError as exc:
                failures.append(f"{refund.number}：{exc.message}")
                continue
            total += refund.amount
        self.stdout.write(f"已支付 {len(rows) - len(failures)} 笔，合计 {total} 元")
        if failures:
            raise CommandError("以下返还未支付：\n" + "\n".join(f"  - {x}" for x in failures))
        self.stdout.write(self.style.SUCCESS("完成"))
