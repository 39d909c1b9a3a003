"""Public disclosure (公示) in the browser: a township clerk previews March 2026 of their township and publishes
it; then anyone, without logging in, chooses township → village → month on /public/ and reads the masked list
(no diagnosis, no category); beyond the limit the page answers 429 in Chinese. The CSP holds: no inline script."""

import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stats"))  # the small county the stats tests build


@pytest.fixture
def small(demo, monkeypatch):
    from small_county import build

    return build(demo, monkeypatch)


def _keep(path: Path) -> None:
    """The screenshot is in test-artifacts/ already (the shot fixture): check that it was written."""
    assert path.exists() and path.stat().st_size > 0


def test_clerk_publishes_and_anyone_reads_the_village_list(page, live_server, shot, small, settings, browser):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # the clerk of 试验乡 (built by the small county, not a demo account) signs in with the page's own form
    from nrcms.accounts.models import User

    clerk = User.objects.get(username="shiyan")
    clerk.set_password("x-Secret-2026-disclosure")
    clerk.save()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "shiyan")
    page.fill("input[name=password]", "x-Secret-2026-disclosure")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login/"))
    page.goto(f"{live_server.url}/disclosure/?month=2026-03&region=610125199000")
    assert "未发布" in page.get_by_test_id("publication-status").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("publish-form").get_by_role("button").click()
    page.wait_for_url("**/disclosure/?month=2026-03*")
    assert "已发布" in page.get_by_test_id("publication-status").inner_text()
    _keep(shot(page, "disclosure-staff-published"))

    anonymous = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    public = anonymous.new_page()
    public.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    public.goto(f"{live_server.url}/public/")
    assert "/login/" not in public.url
    public.get_by_test_id("public-township").select_option("610125199000")
    public.wait_for_url("**/public/?*township=610125199000*")
    public.get_by_test_id("public-village").select_option("610125199201")
    public.wait_for_url("**/public/?*village=610125199201*")
    public.get_by_test_id("public-month").select_option("2026-03")
    public.wait_for_url("**/public/?*month=2026-03*")
    title = public.get_by_test_id("public-title").inner_text()
    assert "试验乡甲村 2026 年 3 月新农合补偿公示" in title
    table = public.get_by_test_id("disclosure-list").inner_text()
    assert table.count("试＊") == 3 and "6101**********" in table and "3,450.00" in table
    body = public.content()
    for word in ("试甲", small.persons["A"].id_number, "I63.9", "registered_poor", "贫困"):
        assert word not in body
    assert not public.locator("input[name=q], input[name=id_number], input[name=name]").count()  # no search
    _keep(shot(public, "disclosure-public-page"))

    settings.NRCMS_PUBLIC_PER_MINUTE = 1
    public.goto(f"{live_server.url}/public/")
    public.goto(f"{live_server.url}/public/")
    assert "访问过于频繁" in public.inner_text("main")
    _keep(shot(public, "disclosure-public-429"))
    anonymous.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
