"""People the browser flows need, made directly (the flows test the pages, not the registry)."""


def enroll_patient(*, number: str, address: str, name: str, birth, serial: int, certificate: str):
    """A head of household in 东韩村一组, enrolled this year with a valid certificate: a patient for a flow."""
    import datetime as dt

    from nrcms.core.idnumber import make_id_number
    from nrcms.registry.models import Certificate, Enrollment, Household, Person, Region

    region = Region.objects.get(code="610125100201001")
    household = Household.objects.create(number=number, region=region, address=address)
    person = Person.objects.create(id_number=make_id_number("610125", birth, serial, "M"), name=name, sex="M",
                                   birth_date=birth, household=household, relation="head")
    Enrollment.objects.create(person=person, household=household, scheme_year=dt.date.today().year)
    Certificate.objects.create(household=household, number=certificate)
    return person
