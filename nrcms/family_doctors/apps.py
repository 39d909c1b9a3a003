from django.apps import AppConfig


class FamilyDoctorsConfig(AppConfig):
    name = "nrcms.family_doctors"
    label = "family_doctors"
    verbose_name = "家庭医生签约"

    def ready(self):
        from nrcms.poverty.patient_file import CONTRACT_SOURCES

        from .services import contracts_of_person_for_file

        if contracts_of_person_for_file not in CONTRACT_SOURCES:
            CONTRACT_SOURCES.append(contracts_of_person_for_file)
