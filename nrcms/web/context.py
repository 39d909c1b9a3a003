from nrcms.accounts.selectors import jurisdiction_of

from .menu import menu_for


def menu(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"menu": menu_for(user), "jurisdiction": jurisdiction_of(user)}
