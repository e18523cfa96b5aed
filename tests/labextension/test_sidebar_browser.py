"""A person's first minutes, in a real browser: log in by clicking, open the Datalab sidebar."""

import pytest

from ..browser import ChromiumMissing, find_chromium, login_and_open_sidebar, screenshot


def test_login_by_clicking_and_open_the_datalab_sidebar(stack, chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    page = context.new_page()
    try:
        login_and_open_sidebar(page, stack, "bob")
        sidebar = page.locator(".jp-Datalab-sidebar")
        sidebar.wait_for(state="visible", timeout=30_000)
        for panel in ("storage", "secrets", "services"):
            assert sidebar.locator(f".jp-Datalab-panel[data-panel='{panel}']").is_visible()
        info = sidebar.locator(".jp-Datalab-info")
        info.filter(has_text="bob").wait_for(timeout=30_000)
        shot = screenshot(page, "datalab-sidebar")
        assert shot.stat().st_size > 10_000
    finally:
        context.close()


def test_missing_chromium_is_one_clear_line(tmp_path):
    with pytest.raises(ChromiumMissing) as info:
        find_chromium(str(tmp_path / "no-chromium"))
    message = str(info.value)
    assert "\n" not in message and "apt-get install -y chromium" in message
