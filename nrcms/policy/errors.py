"""Refusals are results with reasons; a broken scheme file is an exception naming file and path."""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    NO_SCHEME = "no_scheme"
    UNREFERRED_OUT_OF_COUNTY = "unreferred_out_of_county"
    NON_DESIGNATED = "non_designated"
    OUTPATIENT_OUT_OF_COUNTY = "outpatient_out_of_county"
    NO_CHARGES = "no_charges"

    @property
    def message(self) -> str:
        return REFUSAL_MESSAGES[self]


REFUSAL_MESSAGES = {
    Refusal.NO_SCHEME: "就诊日期没有生效的补偿方案",
    Refusal.UNREFERRED_OUT_OF_COUNTY: "县外住院未办理转诊手续，按方案不予补偿",
    Refusal.NON_DESIGNATED: "在非定点医疗机构就诊，按方案不予补偿",
    Refusal.OUTPATIENT_OUT_OF_COUNTY: "门诊补偿仅限县内定点医疗机构",
    Refusal.NO_CHARGES: "没有费用明细",
}


class SchemeError(Exception):
    def __init__(self, file: str, path: str, message: str, *, all_errors: list | None = None):
        self.file, self.path, self.message = file, path, message
        self.all_errors = all_errors or [(path, message)]
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {message}")
