import csv
import io

import pytest

from nrcms.core.idnumber import make_id_number
from nrcms.core.masking import mask_id
from nrcms.registry.models import Certificate, Enrollment, Household, ImportJob
from nrcms.registry.roster_template import COLUMNS

pytestmark = pytest.mark.django_db


def test_township_clerk_registers_enrolls_and_prints(client, login):
    import datetime as dt

    login("ganting")
    head, son = make_id_number("610125", dt.date(1966, 6, 6), 9, "M"), make_id_number("610125", dt.date(1990, 1, 1), 9, "M")
    response = client.post("/registry/households/new/", {
        "region": "610125100201002", "address": "二组 5 号", "phone": "13700000000",
        "name_0": "覃大山", "id_number_0": head, "relation_0": "head",
        "name_1": "覃小山", "id_number_1": son, "relation_1": "child",
    })
    h = Household.objects.get(members__id_number=head)
    assert response.status_code == 302 and response["Location"] == f"/registry/households/{h.pk}/"
    page = client.get(f"/registry/households/{h.pk}/").content.decode()
    assert "覃大山" in page and mask_id(head) in page and head not in page  # masked even for the clerk
    assert "137****0000" in page and "13700000000" not in page
    members = list(h.members.order_by("id"))
    refused = client.post(f"/registry/households/{h.pk}/enroll/", {"year": "2026", "enroll": [members[0].pk]},
                          follow=True).content.decode()
    assert "覃小山" in refused and "以户为单位" in refused and not Enrollment.objects.filter(household=h).exists()
    client.post(f"/registry/households/{h.pk}/enroll/", {"year": "2026", "enroll": [m.pk for m in members]})
    assert Enrollment.objects.filter(household=h, scheme_year=2026).count() == 2
    client.post(f"/registry/households/{h.pk}/certificate/")
    assert Certificate.objects.get(household=h).status == "valid"
    pdf = client.get(f"/registry/households/{h.pk}/certificate.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_form_error_names_the_field(client, login):
    login("ganting")
    response = client.post("/registry/households/new/", {"region": "610125100201002", "name_0": "甲",
                                                         "id_number_0": "123"})
    assert response.status_code == 200 and "身份证号“123”应为 18 位" in response.content.decode()


def test_lists_search_and_export(client, login):
    login("ganting")
    page = client.get("/registry/households/").content.decode()
    assert "家庭户" in page and "610125100201" in page and "610125101201" not in page
    export = client.get("/registry/persons/?q=a&export=xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    some = Household.objects.filter(region__code__startswith="610125100").first()
    cert = Certificate.objects.get(household=some, status="valid")
    found = client.get(f"/registry/persons/?q={cert.number}").content.decode()
    assert some.number in found


def test_village_clerk_reads_but_cannot_edit_and_desk_sees_nothing(client, login):
    login("donghan")
    assert client.get("/registry/households/").status_code == 200
    assert "新建家庭户" not in client.get("/registry/households/").content.decode()
    assert client.get("/registry/import/").status_code == 403
    assert client.get("/registry/households/new/").status_code == 403
    login("desk_county")
    assert client.get("/registry/households/").status_code == 403
    other = Household.objects.filter(region__code__startswith="610125101").first()
    login("ganting")
    assert client.get(f"/registry/households/{other.pk}/").status_code == 404


def test_import_page_runs_the_job_and_offers_the_error_report(client, login):
    login("ganting")
    assert client.get("/registry/import/template.xlsx").content[:2] == b"PK"
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([c.header for c in COLUMNS])
    w.writerow(["1", "610125100201001", "", "试导入", "123", "户主", "", "", ""])
    upload = io.BytesIO(out.getvalue().encode())
    upload.name = "r.csv"
    response = client.post("/registry/import/", {"township": "610125100000", "year": "2026", "file": upload})
    job = ImportJob.objects.get()
    assert response["Location"] == f"/registry/import/{job.pk}/"
    status = client.get(f"/registry/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<progress" in status and "错误行数" in status and "hx-trigger" not in status  # finished: no polling
    report = client.get(f"/registry/import/{job.pk}/errors.xlsx")
    assert report.status_code == 200 and report.content[:2] == b"PK"
