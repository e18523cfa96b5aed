"""The Secrets panel in a real browser: create, edit, restore the previous version, delete."""

from ..browser import login_and_open_sidebar, screenshot
from .sections import toolbar_button


def test_create_edit_restore_and_delete_a_secret(stack, chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        login_and_open_sidebar(page, stack, "carol")
        panel = page.locator(".jp-Datalab-secrets")
        toolbar_button(page, "secrets", "new-secret").wait_for(timeout=30_000)

        toolbar_button(page, "secrets", "new-secret").click()
        dialog = page.locator(".jp-Dialog")
        dialog.locator(".jp-Datalab-secret-name").fill("db/warehouse")
        dialog.locator(".jp-Datalab-secret-key").first.fill("PGPASSWORD")
        dialog.locator(".jp-Datalab-secret-val").first.fill("first-version-pw")
        dialog.locator(".jp-mod-accept").click()
        detail = panel.locator(".jp-Datalab-secret-detail[data-path='db/warehouse']")
        detail.wait_for(timeout=30_000)
        assert "first-version-pw" not in detail.inner_text()  # hidden until asked
        detail.locator("button[data-action='reveal']").click()
        detail.locator("td:has-text('first-version-pw')").wait_for(timeout=10_000)

        detail.locator("button[data-action='edit']").click()
        page.locator(".jp-Dialog .jp-Datalab-secret-val").first.fill("second-version-pw")
        page.locator(".jp-Dialog .jp-mod-accept").click()
        detail.locator("li[data-version='2']").wait_for(timeout=30_000)
        detail.locator("button[data-action='reveal']").click()
        detail.locator("td:has-text('second-version-pw')").wait_for(timeout=10_000)
        screenshot(page, "secrets-panel")

        detail.locator("li[data-version='1'] button[data-action='restore']").click()
        detail.locator("li[data-version='3']").wait_for(timeout=30_000)
        detail.locator("button[data-action='reveal']").click()
        detail.locator("td:has-text('first-version-pw')").wait_for(timeout=10_000)

        detail.locator("button[data-action='delete']").click()
        page.locator(".jp-Dialog .jp-mod-accept").click()
        panel.locator(".jp-Datalab-secret-detail").wait_for(state="detached", timeout=30_000)
        panel.locator(".jp-Datalab-breadcrumbs").wait_for(timeout=10_000)
        assert panel.locator(".jp-Datalab-secret-row[data-path='db/warehouse']").count() == 0
    finally:
        context.close()
