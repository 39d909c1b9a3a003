"""Refusals are results with reasons; a broken scheme file is one exception naming file, path and problem.

A claim the scheme does not pay is not an error: `settle` returns a Settlement whose `refused` lists these
codes (each with a Chinese message for the slip) and whose payment is zero. Only a scheme file that cannot be
read or does not validate raises, as `SchemeError`."""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    NO_SCHEME = "no_scheme"
    NO_CHARGES = "no_charges"
    NON_DESIGNATED = "non_designated"
    UNREFERRED_OUT_OF_COUNTY = "unreferred_out_of_county"
    REFERRED_OUT_OF_COUNTY = "referred_out_of_county"
    UNREFERRED_IN_COUNTY = "unreferred_in_county"
    OUTPATIENT_OUT_OF_COUNTY = "outpatient_out_of_county"
    NO_OUTPATIENT_BENEFIT = "no_outpatient_benefit"
    INTERIM_NOT_ALLOWED = "interim_not_allowed"
    INTERIM_TOO_SHORT = "interim_too_short"
    YTD_OTHER_YEAR = "ytd_other_year"

    @property
    def message(self) -> str:
        return REFUSAL_MESSAGES[self]


REFUSAL_MESSAGES = {
    Refusal.NO_SCHEME: "就诊日期没有生效的补偿方案",
    Refusal.NO_CHARGES: "没有费用明细",
    Refusal.NON_DESIGNATED: "在非定点医疗机构就诊，按方案不予补偿",
    Refusal.UNREFERRED_OUT_OF_COUNTY: "县外住院未办理转诊手续，按方案不予补偿",
    Refusal.REFERRED_OUT_OF_COUNTY: "本方案不补偿县外住院",
    Refusal.UNREFERRED_IN_COUNTY: "未经转诊到该级别医疗机构住院，按方案不予补偿",
    Refusal.OUTPATIENT_OUT_OF_COUNTY: "门诊补偿仅限县内定点医疗机构",
    Refusal.NO_OUTPATIENT_BENEFIT: "本方案没有门诊补偿",
    Refusal.INTERIM_NOT_ALLOWED: "本方案不办理住院中途结算",
    Refusal.INTERIM_TOO_SHORT: "住院天数未达到方案规定的中途结算天数",
    Refusal.YTD_OTHER_YEAR: "本年度累计数据属于另一个年度，不能用于本次就诊（累计按入院年度计算）",
}


class SchemeError(Exception):
    """A scheme file that cannot be used: `file`, `path` (e.g. versions[0].parameters.inpatient.annual_cap)
    and a Chinese `message`; `all_errors` lists every (path, message) found, the first being the one above."""

    def __init__(self, file: str, path: str, message: str, *, all_errors: list | None = None):
        self.file, self.path, self.message = file, path, message
        self.all_errors = all_errors or [(path, message)]
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {message}")
