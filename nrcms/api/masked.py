"""Output fields that carry personal numbers (个人信息保护法): whatever a resolver hands them, they answer masked
(nrcms/core/masking.py), so no API operation can send a full ID or phone number by forgetting to mask it.
Only the reveal operation (POST /api/registry/persons/{id}/reveal, audited, with a reason) answers full numbers,
through its own schema. Use these in *Out schemas only: inputs (lookups, registrations) stay full."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from nrcms.core.masking import mask_id, mask_phone, mask_text

MaskedIdNumber = Annotated[str, AfterValidator(mask_id), Field(
    description="身份证号（脱敏：保留前 6 位区划代码和后 4 位，如 610125********1234）")]
MaskedPhone = Annotated[str, AfterValidator(mask_phone), Field(
    description="电话（脱敏：11 位及以上保留前 3 位和后 4 位，如 139****5678；7–10 位只保留后 4 位）")]
MaskedText = Annotated[str, AfterValidator(mask_text), Field(
    description="文字，其中的身份证号、手机号已脱敏")]
