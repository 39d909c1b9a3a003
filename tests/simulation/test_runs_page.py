"""/simulation/ for the county office: choose schemes, a year or an uploaded extract and assumptions; the run
(a background task, at once in tests) keeps its progress and result; the results page, Excel and the API.
The demo year replayed under the scheme in force (the baseline) gives back the stored settlements' totals."""

import io
import json

import pytest
from openpyxl import load_workbook

from nrcms.claims.models import Settlement, SettlementKind, SettlementStatus
from nrcms.core.money import to_fen
from nrcms.demo.claims import YEAR
from nrcms.policy.scheme import SCHEMES_DIR
from nrcms.simulation import runs
from nrcms.simulation.columns import write_episodes
from nrcms.simulation.models import RunStatus, SimulationRun
from nrcms.simulation.synthetic import synthetic_year

pytestmark = pytest.mark.django_db
IN_FORCE, HUXIAN = "demo-layered-2020@2020-01-01", "huxian-2005@2005-01-01"


def _stored_fund_total() -> int:
    rows = Settlement.objects.filter(kind=SettlementKind.SETTLEMENT, status=SettlementStatus.ACTIVE,
                                     episode__scheme_year=YEAR)
    return sum(to_fen(s.fund_total) for s in rows)


def test_available_schemes_are_every_shipped_version():
    choices = runs.available_schemes()
    assert IN_FORCE in choices and HUXIAN in choices and "demo-layered-2020@2019-01-01" in choices
    assert "2020-01-01 起施行" in choices[IN_FORCE].label


def test_two_schemes_on_the_demo_year_then_results_chart_data_and_excel(client, login):
    reviewer = login("reviewer")
    page = client.get("/simulation/")
    assert page.status_code == 200 and IN_FORCE in page.content.decode()
    response = client.post("/simulation/", {"baseline": IN_FORCE, "compare": [HUXIAN], "source": "year", "year": YEAR,
                                            "project_years": "2", "cost_growth": "5", "income": ""})
    assert response.status_code == 302, response.content.decode()[:800]
    run = SimulationRun.objects.get()
    assert response["Location"] == f"/simulation/runs/{run.pk}/"
    assert (run.status, run.progress, run.created_by) == (RunStatus.DONE, 100, reviewer)
    baseline, other = run.result["outcomes"]
    assert baseline["fund_total"] == _stored_fund_total()  # the year replayed under its own scheme
    assert other["gains"]["persons"] == run.result["persons"]
    assert [r["year"] for r in run.result["projection"]] == [0, 1, 2]
    assert run.result["projection"][0]["spending"] == baseline["nrcms_fund"]
    assert run.result["assumptions"][1].startswith("次均费用每年增长 5%")

    html = client.get(response["Location"]).content.decode()
    assert "基准" in html and "建档立卡贫困户住院" in html and "得失：" in html and "基金预测" in html
    assert 'data-sim-chart="layers"' in html and 'id="simulation-data"' in html and "<script>" not in html
    chart = json.loads(html.split('id="simulation-data" type="application/json">')[1].split("</script>")[0])
    assert len(chart["schemes"]) == 2 and chart["projection"]["years"] == ["第 0 年", "第 1 年", "第 2 年"]
    # HTMX asks again after the run has finished: reload the page so the charts start
    done = client.get(response["Location"], headers={"HX-Request": "true"})
    assert done.status_code == 204 and done["HX-Refresh"] == "true"

    xlsx = client.get(f"/simulation/runs/{run.pk}/export/")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[1]][:2] == ["分组", "项目"]
    assert sheet.cell(2, 2).value == "就诊笔数" and sheet.cell(2, 3).value == baseline["episodes"]
    assert any(row[0].value == "预测" for row in sheet.iter_rows(min_row=2))
    actions = list(run_audit_actions(run))
    assert actions == ["simulation.run", "simulation.finish"]


def run_audit_actions(run):
    from nrcms.accounts.models import AuditEntry

    return (AuditEntry.objects.filter(object_type="simulation.simulationrun", object_id=str(run.pk))
            .order_by("seq").values_list("action", flat=True))


def test_a_pending_run_shows_its_progress_polled_by_htmx(client, login):
    reviewer = login("reviewer")
    run = runs.simulation_run_create(actor=reviewer, scheme_keys=[IN_FORCE], year=YEAR)  # not queued
    partial = client.get(f"/simulation/runs/{run.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in partial and "排队中" in partial and "<progress" in partial
    page = client.get(f"/simulation/runs/{run.pk}/").content.decode()
    assert 'data-testid="simulation-progress"' in page
    assert client.get(f"/simulation/runs/{run.pk}/export/").status_code == 422
    runs.simulation_run_execute(run)
    assert SimulationRun.objects.get(pk=run.pk).status == RunStatus.DONE
    assert runs.simulation_run_execute(run).status == RunStatus.DONE  # delivered twice: nothing more


def test_an_uploaded_extract_and_an_uploaded_scheme(client, login, tmp_path):
    login("reviewer")
    path = tmp_path / "ep.csv"
    write_episodes(synthetic_year(200, persons=50, seed=3), path)
    yaml_text = (SCHEMES_DIR / "pingluo-2005-proposal.yaml").read_text(encoding="utf-8")
    with path.open("rb") as episodes:
        response = client.post("/simulation/", {
            "baseline": IN_FORCE, "source": "file", "episodes": episodes, "income": "300000",
            "scheme_file": io.BytesIO(yaml_text.encode()), "project_years": "0"}, format="multipart")
    assert response.status_code == 302, response.content.decode()[:800]
    run = SimulationRun.objects.get()
    assert run.status == RunStatus.DONE, run.message
    assert run.inputs["episodes_file"]["rows"] == 200 and run.result["episodes"] == 200
    assert run.result["outcomes"][1]["label"].startswith("上传：")
    assert run.result["outcomes"][0]["balance"] == 300000_00 - run.result["outcomes"][0]["nrcms_fund"]


@pytest.mark.parametrize(("form", "words"), [
    ({"source": "year", "year": str(YEAR)}, "请至少选择一个补偿方案"),
    ({"baseline": "nope", "source": "year", "year": str(YEAR)}, "不在可选方案中"),
    ({"baseline": IN_FORCE, "source": "year", "year": "abcd"}, "不是有效的年份"),
    ({"baseline": IN_FORCE, "source": "year", "year": str(YEAR), "cost_growth": "abc"}, "次均费用年增长率“abc”不是数字"),
    ({"baseline": IN_FORCE, "source": "year", "year": str(YEAR), "cost_growth": "500"}, "次均费用年增长率应在"),
    ({"baseline": IN_FORCE, "source": "year", "year": str(YEAR), "project_years": "99"}, "预测年数“99”超出范围"),
    ({"baseline": IN_FORCE, "source": "file"}, "请选择要上传的就诊数据文件"),
    ({"baseline": IN_FORCE, "source": "year", "year": str(YEAR), "income": "-5"}, "当年筹资"),
])
def test_bad_choices_are_refused_in_chinese(client, login, form, words):
    login("reviewer")
    response = client.post("/simulation/", form)
    assert response.status_code == 400 and words in response.content.decode()
    assert not SimulationRun.objects.exists()


def test_a_broken_scheme_file_names_the_problem(client, login):
    login("reviewer")
    broken = io.BytesIO("id: x\nname: 坏方案\ncounty: 某县\nversions:\n  - effective: 2020-01-01\n    notice: n\n"
                        "    parameters: {inpatient: {annual_cap: abc}}\n".encode())
    broken.name = "bad.yaml"
    response = client.post("/simulation/", {"baseline": IN_FORCE, "source": "year", "year": str(YEAR),
                                            "scheme_file": broken})
    text = response.content.decode()
    assert response.status_code == 400, text
    assert "补偿方案文件不合格" in text and "inpatient.deductible：缺少必填项" in text.replace(": ", "：")


def test_only_the_county_office_simulates(client, login):
    login("desk_county")
    assert client.get("/simulation/").status_code == 403
    assert client.post("/api/simulation/runs", {"schemes": [IN_FORCE], "year": YEAR},
                       content_type="application/json").status_code == 403


def test_the_api_starts_a_run_and_reads_it_back(client, login):
    login("reviewer")
    response = client.post("/api/simulation/runs", {"schemes": [IN_FORCE, HUXIAN], "year": YEAR, "project_years": 1,
                                                     "cost_growth": "0.05"}, content_type="application/json")
    assert response.status_code == 202, response.content.decode()
    body = response.json()
    assert body["status"] == "done" and body["progress"] == 100 and len(body["schemes"]) == 2
    assert to_fen(body["schemes"][0]["fund_total"]) == _stored_fund_total()
    assert body["schemes"][0]["gainers"] is None and body["schemes"][1]["gainers"] is not None
    assert [p["year"] for p in body["projection"]] == [0, 1]
    again = client.get(f"/api/simulation/runs/{body['id']}").json()
    assert again["schemes"] == body["schemes"]
    assert client.get("/api/simulation/runs/999999").status_code == 404
    refused = client.post("/api/simulation/runs", {"schemes": ["nope"], "year": YEAR}, content_type="application/json")
    assert refused.status_code in (400, 422) and "不在可选方案中" in refused.content.decode()
