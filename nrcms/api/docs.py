"""/api/docs without the internet: ninja's Swagger page loads Swagger UI from a CDN unless "ninja" is an
installed app, and county offices often work on closed networks. This page uses the pinned copy vendored
under nrcms/web/static/vendor/ (see its README) and references nothing outside this site."""

from __future__ import annotations

from django.shortcuts import render
from ninja.openapi.docs import Swagger, _csrf_needed

SWAGGER_SETTINGS = {
    "layout": "BaseLayout",
    "deepLinking": True,
    "validatorUrl": None,  # Swagger UI would otherwise ask validator.swagger.io to check the schema
}


class LocalSwagger(Swagger):
    template = "api/swagger.html"

    def __init__(self):
        super().__init__(settings=SWAGGER_SETTINGS)

    def render_page(self, request, api, **kwargs):
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        return render(request, self.template, {
            "swagger_settings": settings, "api": api, "add_csrf": _csrf_needed(api),
        })
