"""The Storage panel in a real browser: upload, list, download, folders, delete."""

from ..browser import login_and_open_sidebar, screenshot


def test_upload_list_download_and_delete_with_the_panel(stack, chromium, tmp_path):
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        login_and_open_sidebar(page, stack, "carol")
        panel = page.locator(".jp-Datalab-storage")
        panel.locator(".jp-Datalab-breadcrumbs:has-text('user-carol')").wait_for(timeout=30_000)

        source = tmp_path / "notes.csv"
        source.write_text("city;pop\nParis;2.1\n")
        panel.locator("input.jp-Datalab-upload-input").set_input_files(str(source))
        row = panel.locator(".jp-Datalab-storage-row[data-key='notes.csv']")
        row.wait_for(timeout=30_000)
        assert "B" in row.inner_text()  # size shown

        with page.expect_download() as download:
            row.locator("[data-action='download']").click()
        saved = tmp_path / "downloaded.csv"
        download.value.save_as(saved)
        assert saved.read_text() == "city;pop\nParis;2.1\n"

        panel.locator("button[data-action='new-folder']").click()
        page.locator(".jp-Dialog input").fill("reports")
        page.locator(".jp-Dialog .jp-mod-accept").click()
        folder = panel.locator(".jp-Datalab-storage-row[data-key='reports/']")
        folder.wait_for(timeout=30_000)
        folder.locator(".jp-Datalab-storage-name").click()
        panel.locator(".jp-Datalab-storage-status:has-text('empty')").wait_for(timeout=30_000)
        screenshot(page, "storage-panel-folder")
        panel.locator(".jp-Datalab-breadcrumbs .jp-Datalab-crumb").first.click()
        row.wait_for(timeout=30_000)
        screenshot(page, "storage-panel")

        row.locator("[data-action='delete']").click()
        page.locator(".jp-Dialog .jp-mod-accept").click()
        row.wait_for(state="detached", timeout=30_000)
        assert panel.locator(".jp-Datalab-storage-row[data-key='notes.csv']").count() == 0
    finally:
        context.close()


def test_an_upload_can_be_cancelled_and_leaves_nothing(stack, chromium, tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(300 * 1024 * 1024)  # sparse: 300 MB to send, nothing to write
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        login_and_open_sidebar(page, stack, "carol")
        panel = page.locator(".jp-Datalab-storage")
        panel.locator(".jp-Datalab-breadcrumbs:has-text('user-carol')").wait_for(timeout=30_000)
        panel.locator("input.jp-Datalab-upload-input").set_input_files(str(big))
        item = panel.locator(".jp-Datalab-upload-item[data-name='big.bin']")
        item.wait_for(timeout=30_000)
        item.locator("[data-action='cancel']").click()
        page.wait_for_selector(".jp-Datalab-upload-item[data-name='big.bin'][data-state='cancelled']",
                               timeout=30_000)
        panel.locator("button[data-action='refresh']").click()
        page.wait_for_timeout(1000)
        assert panel.locator(".jp-Datalab-storage-row[data-key='big.bin']").count() == 0
    finally:
        context.close()
