"""The person page's "显示完整号码" form: a role allowed to reveal posts a reason and gets the same page back with
the full ID and phone numbers, this once (nothing is kept in the session); the reveal is audited."""

from __future__ import annotations

from django.shortcuts import redirect

from nrcms.core.errors import Forbidden, ValidationFailed

from .reveal import person_reveal
from .views_people import person_detail


def person_reveal_page(request, pk: int):
    if request.method != "POST":
        return redirect("person_detail", pk=pk)
    try:
        revealed = person_reveal(actor=request.user, person_pk=pk, reason=request.POST.get("reason", ""))
    except (ValidationFailed, Forbidden) as exc:
        return person_detail(request, pk, reveal_error=exc.message, status=exc.status)
    return person_detail(request, pk, revealed=revealed)
