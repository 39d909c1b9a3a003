from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers

from nrcms.core.errors import NrcmsError


class NrcmsErrorPageMiddleware:
    """A service's refusal becomes a page that says what is wrong, with the right status code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NrcmsError) and not request.path.startswith("/api/"):
            return render(request, "web/error.html", {"error": exception}, status=exception.status)
        return None


class CookieLocaleMiddleware:
    """The interface is Chinese (settings.LANGUAGE_CODE) unless the user chose another language with the
    header's switch, which /i18n/setlang/ keeps in the language cookie. The browser's Accept-Language is
    ignored on purpose: a clerk's English-language browser must not get a half-translated interface.
    Replaces django.middleware.locale.LocaleMiddleware (no i18n_patterns URLs here)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = settings.LANGUAGE_CODE
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen:
            try:
                language = translation.get_supported_language_variant(chosen)
            except LookupError:
                language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
