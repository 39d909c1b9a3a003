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
