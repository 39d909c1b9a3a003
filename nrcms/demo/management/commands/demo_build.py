"""nrcms demo build --persons N --year Y --seed S [--database-url URL] [--force]"""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from nrcms.demo.build import STEPS, build, database_is_empty


class Command(BaseCommand):
    help = "生成一个户县规模与结构的演示县（区划、人员、参合、缴费、一年的就诊与结算），同一种子生成同一个县。"

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=25_000, help="农业人口数（户县全县约 470000）")
        parser.add_argument("--year", type=int, default=None, help="参合年度（默认今年）")
        parser.add_argument("--seed", type=int, default=610125, help="随机种子：同一种子、同一人数生成同一个县")
        parser.add_argument("--database-url", default=None,
                            help="写入的数据库（如 sqlite:////tmp/demo.sqlite3 或 postgres://…）；由 nrcms 命令在启动前读取")
        parser.add_argument("--force", action="store_true", help="数据库已有数据时先清空再生成")

    def handle(self, *args, persons, year, seed, force, **options):
        if not 500 <= persons <= 2_000_000:
            raise CommandError("人数应在 500 到 2000000 之间")
        year = year or timezone.localdate().year
        if not 2000 <= year <= timezone.localdate().year:
            raise CommandError(f"参合年度应在 2000 到 {timezone.localdate().year} 之间")
        start = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        if not database_is_empty():
            if not force:
                raise CommandError("数据库中已有区划或人员：演示县只生成到空数据库。确需覆盖请加 --force（将清空全部数据）")
            call_command("flush", verbosity=0, interactive=False)
        bar = tqdm(total=len(STEPS), desc="生成演示县", unit="步", bar_format="{desc}: {n}/{total} {postfix}")
        inner: dict = {}

        def step(name):
            if inner.get("bar") is not None:
                inner["bar"].close()
                inner["bar"] = None
            if bar.n < len(STEPS) and name != STEPS[0]:
                bar.update(1)
            bar.set_postfix_str(name)

        def tick(done, total):
            if inner.get("bar") is None:
                inner["bar"] = tqdm(total=total, desc="　", unit="条", leave=False)
            inner["bar"].update(done - inner["bar"].n)

        report = build(persons=persons, year=year, seed=seed, step=step, tick=tick)
        if inner.get("bar") is not None:
            inner["bar"].close()
        bar.update(bar.total - bar.n)
        bar.close()
        self._print(report, year, time.monotonic() - start)
        if not report.books_ok:
            raise CommandError("账簿核对未通过：" + "；".join(report.books[:5]))

    def _print(self, report, year, seconds):
        w = self.stdout.write
        c, cal = report.counts, report.calibration
        pe = c["people"]
        w(f"演示县已生成（{seconds:.0f} 秒）：{pe['households']} 户 {pe['persons']} 人，{year} 年度参合 {pe['enrolled']} 人"
          f"（参合率 {100 * pe['enrolled'] / max(pe['persons'], 1):.1f}%），合作医疗证 {c['certificates']} 本")
        from nrcms.funding.models import PayerKind

        by = "，".join(f"{PayerKind(k).label} {v} 元" for k, v in sorted(c["contributions"]["by_payer"].items()))
        w(f"  个人缴费收据 {c['contributions']['receipts']} 张（{by}）")
        w(f"  就诊结算：住院 {cal['admissions']} 人次（每万参合人 {cal['admissions_per_10k']}），"
          f"门诊家庭账户支付 {cal['outpatient']} 人次（每万人 {cal['outpatient_per_10k']}）")
        w(f"  次均住院费用 {cal['avg_inpatient_cost']} 元（{cal['avg_inpatient_cost_by_level']}），次均住院补偿 "
          f"{cal['avg_inpatient_fund']} 元（{100 * cal['ratio']:.1f}%），次均门诊 {cal['avg_outpatient_fund']} 元；"
          f"补偿超 2000/5000/10000 元每万人 {cal['over_2000_per_10k']}/{cal['over_5000_per_10k']}/{cal['over_10000_per_10k']}")
        fd = c.get("family_doctors") or {}
        if fd:
            w(f"  家庭医生签约：{fd['teams']} 个团队，{fd['contracts']} 份户签约，服务记录 {fd['visits']} 次，"
              f"签约服务费支付 {fd['fee_payments']} 笔（团队·月）")
        cd = c.get("conditions") or {}
        if cd:
            w(f"  门诊慢性病认定 {cd['chronic']} 人次（本年度门诊就诊有慢性病诊断的人员），大病集中救治 {cd['serious']} 例"
              f"（其中救治完成 {cd['serious_completed']} 例）")
        w(f"  账簿核对：{'通过' if report.books_ok else '未通过'}；数据摘要 {report.digest}")
        from nrcms.demo.management.commands.demo_load import Command as LoadCommand

        LoadCommand(stdout=self.stdout).print_logins(report.logins)
