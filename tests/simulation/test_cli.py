"""nrcms simulate: two schemes over an extract file, the projection, the Excel export, and refusals."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from nrcms.policy.scheme import SCHEMES_DIR
from nrcms.simulation.columns import write_episodes
from nrcms.simulation.synthetic import synthetic_year

LAYERED, HUXIAN = str(SCHEMES_DIR / "demo-layered-2020.yaml"), str(SCHEMES_DIR / "huxian-2005.yaml")


def test_two_schemes_a_projection_and_the_excel(tmp_path):
    path = tmp_path / "ep.parquet"
    write_episodes(synthetic_year(300, persons=60, seed=7), path)
    out = io.StringIO()
    call_command("simulate", "--schemes", LAYERED, HUXIAN, "--episodes", str(path), "--income", "200000",
                 "--project-years", "2", "--cost-growth", "0.05", "--out", str(tmp_path / "r.xlsx"), stdout=out)
    text = out.getvalue()
    assert "政策范围内补偿比" in text and "建档立卡贫困户住院" in text and "第 2 年" in text
    assert "次均费用每年增长 5%" in text
    sheet = load_workbook(tmp_path / "r.xlsx").active
    assert sheet.cell(1, 1).value == "分组" and sheet.cell(2, 2).value == "就诊笔数" and sheet.cell(2, 3).value == 300


def test_refusals_name_the_option(tmp_path):
    with pytest.raises(CommandError, match="不存在"):
        call_command("simulate", "--schemes", LAYERED, "--episodes", str(tmp_path / "none.csv"))
    path = tmp_path / "ep.csv"
    write_episodes(synthetic_year(20, seed=1), path)
    with pytest.raises(CommandError, match="--cost-growth"):
        call_command("simulate", "--schemes", LAYERED, "--episodes", str(path), "--cost-growth", "abc")
    with pytest.raises(CommandError, match="--income"):
        call_command("simulate", "--schemes", LAYERED, "--episodes", str(path), "--project-years", "2")
