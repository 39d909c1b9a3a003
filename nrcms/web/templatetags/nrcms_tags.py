from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    """The current query string with some parameters replaced: keeps filters while paging."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        params[key] = value
    params.pop("export", None)
    return params.urlencode()


@register.simple_tag
def audit_changes(entry):
    """(field, before, after) rows: only changed fields when both sides exist, every field otherwise."""
    before, after = entry.before or {}, entry.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("", before, after)]
    keys = list(dict.fromkeys([*before, *after]))
    if before and after:
        keys = [k for k in keys if before.get(k) != after.get(k)]
    return [(k, before.get(k, ""), after.get(k, "")) for k in keys]
