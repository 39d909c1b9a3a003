"""/api/docs draws Swagger UI on a network with no way out: every request to another host is refused."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_with_the_internet_cut_off(page, live_server, demo, shot):
    outside = []

    def only_this_site(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_site)
    page.goto(f"{live_server.url}/api/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "nrcms 新农合信息系统 API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-tag-section").first.wait_for()
    assert page.locator(".opblock").count() > 20
    shot(page, "api-docs-offline")
    assert outside == []
