from django.shortcuts import render

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
