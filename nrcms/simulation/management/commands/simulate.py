from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nrcms.core.export import xlsx_bytes
from nrcms.core.money import money, to_fen
from nrcms.policy import SchemeError, load_scheme_file
from nrcms.simulation.columns import read_episodes
from nrcms.simulation.errors import ExtractError, SimulationError
from nrcms.simulation.report import (
    PROJECTION_HEADERS,
    comparison_rows,
    projection_rows,
    text_table,
    workbook_rows,
)
from nrcms.simulation.simulate import Assumptions, dry_year, project, simulate


def _rate(value: str, name: str) -> Decimal:
    try:
        rate = Decimal(value)
    except InvalidOperation as exc:
        raise CommandError(f"{name} 应为小数（如 0.05 表示 5%），读到 {value!r}") from exc
    if not rate.is_finite() or not Decimal("-0.5") <= rate <= Decimal("1"):
        raise CommandError(f"{name} 应在 -0.5 到 1 之间（如 0.05 表示每年增长 5%），读到 {value}")
    return rate


class Command(BaseCommand):
    help = ("测算：nrcms simulate --schemes A.yaml B.yaml --episodes FILE|--year Y [--income 元] "
            "[--project-years N --cost-growth 0.08 …] [--out 结果.xlsx]。第一个方案为基准。")

    def add_arguments(self, parser):
        parser.add_argument("--schemes", nargs="+", required=True, help="补偿方案 YAML 文件（取各文件最新版本）")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--episodes", help="就诊数据 Parquet 或 CSV 文件（列格式见 docs/guide/simulation.md）")
        source.add_argument("--year", type=int, help="从数据库取该年度全部有效结算")
        parser.add_argument("--income", help="当年基金筹资（元）；用 --year 时默认按缴费人数 × 筹资标准估算")
        parser.add_argument("--project-years", type=int, default=0)
        parser.add_argument("--enrollment-growth", default="0")
        parser.add_argument("--cost-growth", default="0")
        parser.add_argument("--utilisation-growth", default="0")
        parser.add_argument("--subsidy-growth", default="0")
        parser.add_argument("--opening-balance", default="0", help="基金期初结余（元）")
        parser.add_argument("--workers", default="", help="Dask：本机工作进程数，或调度器地址 tcp://host:8786")
        parser.add_argument("--out", help="导出 Excel 文件")

    def handle(self, *args, schemes, episodes, year, income, project_years, out, workers, **options):
        try:
            chosen = []
            for path in schemes:
                f = load_scheme_file(path)
                chosen.append((f"{f.name}（{Path(path).stem}）", f.versions[-1]))
        except SchemeError as exc:
            raise CommandError(str(exc)) from exc
        try:
            if episodes:
                df = read_episodes(episodes)
            else:
                from nrcms.simulation.extract import extract_year, year_income

                df = extract_year(year)
                if income is None:
                    estimate = year_income(year)
                    income = None if estimate is None else str(Decimal(estimate) / 100)
            income_fen = to_fen(money(income)) if income is not None else None
        except (ExtractError, ValueError, TypeError) as exc:
            raise CommandError(str(exc)) from exc
        assumptions = Assumptions(
            enrollment=_rate(options["enrollment_growth"], "--enrollment-growth"),
            cost=_rate(options["cost_growth"], "--cost-growth"),
            utilisation=_rate(options["utilisation_growth"], "--utilisation-growth"),
            subsidy=_rate(options["subsidy_growth"], "--subsidy-growth"),
            opening_balance=to_fen(money(options["opening_balance"])))
        runner = None
        if workers:
            from nrcms.simulation.distributed import partitioned_runner

            try:
                runner = partitioned_runner(workers)
            except SimulationError as exc:
                raise CommandError(str(exc)) from exc
        steps = len(chosen) + (project_years + 1 if project_years else 0)
        with tqdm(total=steps, desc="测算", unit="步") as bar:
            def progress(done, total, note):
                bar.set_postfix_str(note)

            try:
                outcomes = simulate(df, chosen, income=income_fen, progress=progress, runner=runner)
                bar.update(len(chosen))
                rows = []
                if project_years:
                    if income_fen is None:
                        raise CommandError("预测需要当年筹资：请给出 --income（元）")
                    rows = project(df, chosen[0][1], years=project_years, income=income_fen, assumptions=assumptions,
                                   progress=lambda *a: bar.update(1), runner=runner)
            except SimulationError as exc:
                raise CommandError(str(exc)) from exc
        headers = ["分组", "项目", *[label for label, _ in chosen]]
        table = comparison_rows(outcomes)
        self.stdout.write(text_table(headers, table))
        if rows:
            self.stdout.write("\n预测（按第一个方案）：" + "；".join(assumptions.text()))
            self.stdout.write(text_table(PROJECTION_HEADERS, projection_rows(rows)))
            dry = dry_year(rows)
            self.stdout.write(f"基金将在第 {dry} 年出现累计赤字" if dry is not None else f"{project_years} 年内基金不会用尽")
        if out:
            Path(out).write_bytes(xlsx_bytes("测算结果", headers, workbook_rows(outcomes, rows)))
            self.stdout.write(f"已导出 {out}")
