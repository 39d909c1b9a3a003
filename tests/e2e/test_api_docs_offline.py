"""/api/docs draws Swagger UI on a network with no way out: every request to another host is refused.

Swagger UI 5.35 draws a long document as a virtual list (only the operations near the screen are in the page, and
no ``.opblock-tag-section`` wrapper), so the test scrolls to the end and looks for the last operation there.
"""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_with_the_internet_cut_off(page, live_server, demo, shot, client):
    outside = []

    def only_this_site(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    spec = client.get("/api/openapi.json").json()
    last_path = list(spec["paths"])[-1]
    first_path = list(spec["paths"])[0]

    page.route("**/*", only_this_site)
    page.goto(f"{live_server.url}/api/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "nrcms 新农合信息系统 API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(f'.opblock-summary-path[data-path="{first_path}"]').first.wait_for()
    assert page.locator(".opblock-tag").count() >= 1
    assert page.locator(".opblock").count() >= 5
    shot(page, "api-docs-offline")

    last = page.locator(f'.opblock-summary-path[data-path="{last_path}"]')
    for _ in range(60):  # the virtual list draws what comes on screen: scroll down until the last operation is drawn
        if last.count():
            break
        page.mouse.wheel(0, 4000)
        page.wait_for_timeout(100)
    last.first.wait_for()
    assert outside == []
