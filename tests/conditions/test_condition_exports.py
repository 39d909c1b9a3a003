"""The serious-illness and home-sickbed lists export to Excel with the list's filters: numbers masked, the
export on the audit trail, a settled bed with its settlement number and the fund's share."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from nrcms.accounts.models import AuditEntry
from nrcms.conditions.models import SeriousIllness
from nrcms.conditions.services import serious_case_record
from nrcms.conditions.sickbed import sickbed_close, sickbed_open, sickbed_settle, sickbed_visit_record
from nrcms.core.masking import mask_id

pytestmark = pytest.mark.django_db
D = dt.date


def _rows(response):
    assert response.status_code == 200, response.content[:300]
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_the_serious_illness_list_exports_with_its_filters(client, login, demo, patients, layered_scheme):
    for person, disease in ((patients.head, SeriousIllness.LUNG_CANCER), (patients.spouse, SeriousIllness.BREAST_CANCER)):
        serious_case_record(actor=demo["reviewer"], id_number=person.id_number, disease=disease,
                            facility_code="H610125001", pathway="手术＋辅助化疗", started_on=D(2026, 4, 1))
    login("civil")
    html = client.get("/conditions/serious/", {"disease": SeriousIllness.LUNG_CANCER}).content.decode()
    assert f'/conditions/serious.xlsx?disease={SeriousIllness.LUNG_CANCER}' in html
    rows = _rows(client.get("/conditions/serious.xlsx", {"disease": SeriousIllness.LUNG_CANCER}))
    assert rows[0][:4] == ("姓名", "身份证号（脱敏）", "住址", "病种") and len(rows) == 2
    assert rows[1][:2] == ("赵长林", mask_id(patients.head.id_number)) != (None, patients.head.id_number)
    assert rows[1][3] == SeriousIllness.LUNG_CANCER.label and rows[1][5] == "手术＋辅助化疗"
    assert len(_rows(client.get("/conditions/serious.xlsx"))) == 3
    entry = AuditEntry.objects.filter(action="export").latest("seq")
    assert entry.after["what"] == "大病集中救治名单" and entry.after["rows"] == 2 and entry.actor_username == "civil"


def test_the_home_sickbed_list_exports_the_settlement(client, login, demo, patients, layered_scheme):
    desk = demo["desk_ganting"]
    bed = sickbed_open(actor=desk, id_number=patients.head.id_number, doctor="李医生", diagnosis_code="I63.9",
                       opened_on=D(2026, 5, 1), planned_days=30)
    for day, code, qty, price in ((D(2026, 5, 2), "5101-ZL0002", "1", "10"), (D(2026, 5, 5), "5101-YP0001", "4", "45")):
        sickbed_visit_record(actor=desk, sickbed=bed, date=day, services="查床", item_code=code,
                             quantity=Decimal(qty), unit_price=Decimal(price))
    sickbed_close(actor=desk, sickbed=bed, closed_on=D(2026, 5, 20))
    settled = sickbed_settle(actor=desk, sickbed=bed)
    sickbed_open(actor=desk, id_number=patients.spouse.id_number, doctor="李医生", diagnosis_code="I63.9",
                 opened_on=D(2026, 6, 1), planned_days=10)
    login("desk_ganting")
    rows = _rows(client.get("/conditions/sickbeds.xlsx", {"status": "settled"}))
    assert len(rows) == 2 and rows[0][-2:] == ("结算单号", "基金支付（元）")
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["编号"], row["姓名"], row["身份证号（脱敏）"], row["查床次数"]) == (
        bed.number, "赵长林", mask_id(patients.head.id_number), 2)
    # 10.00 + 180.00 = 190.00, under the township deductible 200.00: nothing from the fund
    assert Decimal(str(row["查床费用（元）"])) == Decimal("190.00")
    assert settled.fund_total == Decimal("0.00")
    assert (row["结算单号"], Decimal(str(row["基金支付（元）"]))) == (settled.number, Decimal("0.00"))
    assert len(_rows(client.get("/conditions/sickbeds.xlsx"))) == 3
    login("desk_yuxia")  # another hospital exports none of them
    assert len(_rows(client.get("/conditions/sickbeds.xlsx"))) == 1
    assert AuditEntry.objects.filter(action="export", after__what="家庭病床名单").count() == 3
