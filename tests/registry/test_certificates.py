import threading

import pytest
from people_factory import family

from nrcms.core.errors import Conflict, ValidationFailed
from nrcms.registry.certificate_pdf import certificate_pdf
from nrcms.registry.enrollment import (
    certificate_issue,
    certificate_numbers,
    certificate_reissue,
    household_enroll,
)
from nrcms.registry.models import Certificate

pytestmark = pytest.mark.django_db


def enrolled_family(clerk):
    h = family(clerk)
    household_enroll(actor=clerk, household=h, scheme_year=2026)
    return h


def test_certificate_number_is_county_code_plus_sequence(demo):
    clerk = demo["ganting"]
    a, b = enrolled_family(clerk), enrolled_family(clerk)
    ca, cb = certificate_issue(actor=clerk, household=a), certificate_issue(actor=clerk, household=b)
    assert ca.number.startswith("610125") and len(ca.number) == 14
    assert int(cb.number[6:]) == int(ca.number[6:]) + 1


def test_not_enrolled_household_gets_no_certificate(demo):
    with pytest.raises(ValidationFailed) as exc:
        certificate_issue(actor=demo["ganting"], household=family(demo["ganting"]))
    assert exc.value.code == "not_enrolled"


def test_second_issue_is_refused_and_reissue_voids_the_old(demo):
    clerk = demo["ganting"]
    h = enrolled_family(clerk)
    old = certificate_issue(actor=clerk, household=h)
    with pytest.raises(Conflict):
        certificate_issue(actor=clerk, household=h)
    with pytest.raises(ValidationFailed):
        certificate_reissue(actor=clerk, household=h, reason="")
    new = certificate_reissue(actor=clerk, household=h, reason="遗失")
    old.refresh_from_db()
    assert old.status == "void" and old.void_reason == "遗失" and new.replaces == old
    assert new.number != old.number
    assert Certificate.objects.filter(household=h, status="valid").get() == new


@pytest.mark.django_db(transaction=True)
def test_numbers_are_unique_under_concurrency(demo):
    from django.db import connection, transaction

    if connection.vendor == "sqlite":
        # The test database is SQLite in shared-cache memory, where threads see "table is locked" rather than
        # waiting; a file database takes the write lock at BEGIN (IMMEDIATE). Threads race on PostgreSQL.
        taken = [certificate_numbers("610125", 1)[0] for _ in range(20)]
        assert len(set(taken)) == 20
        return
    taken, errors = [], []

    def work():
        try:
            with transaction.atomic():
                taken.extend(certificate_numbers("610125", 5))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(taken) == len(set(taken)) == 40


def test_certificate_pdf_masks_id_numbers(demo):
    clerk = demo["ganting"]
    h = enrolled_family(clerk)
    cert = certificate_issue(actor=clerk, household=h)
    pdf, context = certificate_pdf(cert, scheme_year=2026, with_context=True)
    assert pdf.startswith(b"%PDF")
    ids = [m["id_masked"] for m in context["members"]]
    assert all("********" in i for i in ids)
    assert context["number"] == cert.number and context["head"] == "张建国"


def test_certificate_card_does_not_reveal_the_masked_birth_date(demo):
    from nrcms.registry.certificate_pdf import certificate_context

    clerk = demo["ganting"]
    h = enrolled_family(clerk)
    context = certificate_context(certificate_issue(actor=clerk, household=h), 2026)
    assert all("birth" not in m for m in context["members"])
