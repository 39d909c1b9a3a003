"""Coded API fields built from the models' TextChoices, the one source of the codes and their Chinese labels.

`coded(Relation)` is the type of a field that holds one code: a `Literal` of the codes (so the OpenAPI schema
lists them as an enum), a description listing `code = 中文` for each, and, when a wrong code is sent, the
refusal names them all: 字段“relation”应为以下之一：head（户主）、spouse（配偶）、…
(pydantic's `literal_error`, whose `expected` the API's one validation handler puts into its Chinese sentence).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from django.db.models import TextChoices
from ninja import Query
from pydantic import Field, ValidationError, WrapValidator
from pydantic_core import PydanticCustomError


def choices_text(pairs: Iterable[tuple[str, str]]) -> str:
    """head（户主）、spouse（配偶）… — the allowed codes as a refusal lists them."""
    return "、".join(f"{code}（{label}）" if code else f"空（{label}）" for code, label in pairs)


def _pairs(choices: type[TextChoices], only: Iterable[str] | None) -> list[tuple[str, str]]:
    labels = {member.value: str(member.label) for member in choices}
    if only is None:
        return list(labels.items())
    unknown = [code for code in only if code not in labels]
    if unknown:  # a programming error: the API names a code its model does not have
        raise ValueError(f"{choices.__name__} has no code(s) {unknown}")
    return [(code, labels[code]) for code in only]


def _parts(choices: type[TextChoices], only: Iterable[str] | None, blank: str | None, description: str
           ) -> tuple[Any, WrapValidator, str, list[str]]:
    pairs = _pairs(choices, only)
    if blank is not None:
        pairs = [("", blank), *pairs]
    codes = tuple(code for code, _ in pairs)
    expected = choices_text(pairs)

    def refuse_with_the_codes(value: Any, handler: Any) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError("literal_error", "Input should be one of: {expected}",
                                      {"expected": expected}) from None

    listed = "；".join(f"{code or '空'} = {label}" for code, label in pairs)
    text = f"{description}。可选值：{listed}" if description else f"可选值：{listed}"
    return Literal[codes], WrapValidator(refuse_with_the_codes), text, [label for _, label in pairs]


def coded(choices: type[TextChoices], *, only: Iterable[str] | None = None, blank: str | None = None,
          description: str = "") -> Any:
    """The type of a (body or response) field holding one code of `choices`.

    only: the subset of codes this operation accepts (e.g. the events that add a member).
    blank: allow "" too, meaning `blank` (e.g. "按目录编码确定").
    description: what the field is; the list of codes and labels is appended.
    """
    literal, validator, text, labels = _parts(choices, only, blank, description)
    return Annotated[literal, validator, Field(description=text, json_schema_extra={"x-enum-descriptions": labels})]


def coded_query(choices: type[TextChoices], *, only: Iterable[str] | None = None, blank: str | None = "不限",
                description: str = "") -> Any:
    """The same for a query parameter (a list filter: "" by default, meaning `blank`). ninja takes a query
    parameter's description only from its own `Query(...)`, hence the second helper."""
    literal, validator, text, _ = _parts(choices, only, blank, description)
    return Annotated[literal, validator, Query("", description=text)]
