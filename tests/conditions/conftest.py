import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from nrcms.core.idnumber import make_id_number
from nrcms.registry.models import Enrollment, Household, Person, Region

SCHEMES = Path(__file__).resolve().parents[2] / "nrcms" / "policy" / "schemes"


@dataclass
class Patients:
    head: Person
    spouse: Person


@pytest.fixture
def patients(demo):
    """Two people of one household in 甘亭镇东韩村一组, enrolled for 2026."""
    region = Region.objects.get(code="610125100201001")
    household = Household.objects.create(number="T6101251002019001", region=region, address="东韩村一组 9 号")
    people = []
    for n, (name, relation, birth, sex) in enumerate([("赵长林", "head", dt.date(1955, 4, 2), "M"),
                                                      ("钱秀梅", "spouse", dt.date(1958, 9, 17), "F")], start=1):
        people.append(Person.objects.create(id_number=make_id_number("610125", birth, 300 + n, sex), name=name,
                                            sex=sex, birth_date=birth, household=household, relation=relation))
        Enrollment.objects.create(person=people[-1], household=household, scheme_year=2026)
    return Patients(*people)


@pytest.fixture
def certification_scheme(scheme_file, tmp_path):
    """demo-layered-2020 with outpatient.chronic.certification_required: true."""
    raw = yaml.safe_load((SCHEMES / "demo-layered-2020.yaml").read_text(encoding="utf-8"))
    raw["id"] = "test-chronic-certification"
    raw["versions"][0]["parameters"]["outpatient"]["chronic"]["certification_required"] = True
    path = tmp_path / "scheme.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    scheme_file(path)
    return path


@pytest.fixture
def layered_scheme(scheme_file):
    scheme_file(SCHEMES / "demo-layered-2020.yaml")
