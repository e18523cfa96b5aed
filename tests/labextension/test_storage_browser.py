"""The Storage panel in a real browser: upload, list, sort, download, folders, delete."""

from ..browser import login_and_open_sidebar, screenshot
from .sections import toolbar_button

ROW = ".jp-Datalab-storage-row[data-key='{}']"


def open_storage(page, stack, username):
    login_and_open_sidebar(page, stack, username)
    panel = page.locator(".jp-Datalab-storage")
    panel.locator(f".jp-Datalab-breadcrumbs:has-text('user-{username}')").wait_for(timeout=30_000)
    return panel


def listed_keys(panel, among=None):
    keys = panel.locator(".jp-Datalab-storage-row").evaluate_all("rows => rows.map(r => r.dataset.key)")
    return [k for k in keys if among is None or k in among]


def use_theme(page, name):
    """Pick a theme from JupyterLab's Settings > Theme menu, as a person would."""
    page.locator(".lm-MenuBar-item:has-text('Settings')").click()
    page.locator(".lm-Menu-item:has(.lm-Menu-itemLabel:text-is('Theme'))").hover()
    page.locator(f".lm-Menu-item:has(.lm-Menu-itemLabel:text-is('{name}'))").click()
    light = "false" if "Dark" in name else "true"
    page.wait_for_selector(f"body[data-jp-theme-light='{light}']", state="attached", timeout=30_000)
    page.wait_for_timeout(500)  # the theme's stylesheet applies


def test_upload_list_download_and_delete_with_the_panel(stack, chromium, tmp_path):
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        panel = open_storage(page, stack, "carol")

        notes = tmp_path / "notes.csv"
        notes.write_text("city;pop\nParis;2.1\n")
        bigger = tmp_path / "bigger.csv"
        bigger.write_text("city,pop\n" + "Lyon,0.5\n" * 300)
        panel.locator("input[type=file].jp-Datalab-upload-input").set_input_files(
            [str(notes), str(bigger)])
        panel.locator(".jp-Datalab-upload-item[data-name='notes.csv']").wait_for(timeout=30_000)
        row = panel.locator(ROW.format("notes.csv"))
        row.wait_for(timeout=30_000)
        panel.locator(ROW.format("bigger.csv")).wait_for(timeout=30_000)
        assert row.locator(".jp-Datalab-storage-size").inner_text() == "19 B"
        assert row.locator(".jp-Datalab-storage-date").inner_text().strip()

        # sort by clicking the column headers: size first descending, then reversed
        ours = {"notes.csv", "bigger.csv"}
        assert listed_keys(panel, ours) == ["bigger.csv", "notes.csv"]  # by name
        panel.locator("button[data-sort='size']").click()
        assert listed_keys(panel, ours) == ["bigger.csv", "notes.csv"]  # largest first
        panel.locator("button[data-sort='size']").click()
        assert listed_keys(panel, ours) == ["notes.csv", "bigger.csv"]
        assert panel.locator("[aria-sort='ascending'] button[data-sort='size']").count() == 1
        panel.locator("button[data-sort='name']").click()

        with page.expect_download() as download:
            row.locator("[data-action='download']").click()
        saved = tmp_path / "downloaded.csv"
        download.value.save_as(saved)
        assert saved.read_text() == "city;pop\nParis;2.1\n"

        row.locator("[data-action='snippets']").click()
        page.locator(".jp-Dialog pre:has-text('pd.read_csv(\"s3://user-carol/notes.csv\")')").wait_for(
            timeout=10_000)
        page.locator(".jp-Dialog .jp-mod-accept").click()
        page.locator(".jp-Dialog").wait_for(state="detached", timeout=10_000)

        row.locator("[data-action='preview']").click()
        page.locator(".jp-Dialog .jp-Datalab-preview td:has-text('Paris')").wait_for(timeout=30_000)
        page.locator(".jp-Dialog .jp-mod-accept").click()
        page.locator(".jp-Dialog").wait_for(state="detached", timeout=10_000)

        toolbar_button(page, "storage", "new-folder").click()
        page.locator(".jp-Dialog input").fill("reports")
        page.locator(".jp-Dialog .jp-mod-accept").click()
        folder = panel.locator(ROW.format("reports/"))
        folder.wait_for(timeout=30_000)
        assert listed_keys(panel)[0] == "reports/"  # folders come first
        folder.locator(".jp-Datalab-storage-name").click()
        panel.locator(".jp-Datalab-crumb[data-prefix='reports/']").wait_for(timeout=30_000)
        panel.locator(".jp-Datalab-storage-status:has-text('empty')").wait_for(timeout=30_000)
        screenshot(page, "storage-panel-folder")
        panel.locator(".jp-Datalab-breadcrumbs .jp-Datalab-crumb[data-prefix='']").click()
        row.wait_for(timeout=30_000)
        row.hover()
        screenshot(page, "storage-panel")
        screenshot(page.locator(".jp-Datalab-sidebar"), "storage-panel-sidebar")

        use_theme(page, "JupyterLab Dark")
        try:
            row.hover()
            screenshot(page, "storage-panel-dark")
            screenshot(page.locator(".jp-Datalab-sidebar"), "storage-panel-sidebar-dark")
        finally:
            use_theme(page, "JupyterLab Light")  # carol's theme is saved for her other tests

        for key in ("notes.csv", "bigger.csv", "reports/"):
            panel.locator(ROW.format(key)).locator("[data-action='delete']").click()
            page.locator(".jp-Dialog .jp-mod-accept").click()
            panel.locator(ROW.format(key)).wait_for(state="detached", timeout=30_000)
        toolbar_button(page, "storage", "refresh").click()
        page.wait_for_timeout(1000)
        assert panel.locator(ROW.format("notes.csv")).count() == 0
    finally:
        context.close()


def test_dropping_a_file_on_the_panel_uploads_it(stack, chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        panel = open_storage(page, stack, "carol")
        panel.evaluate("""node => {
            const data = new DataTransfer();
            data.items.add(new File(['dropped,1\\n'], 'dropped.csv', {type: 'text/csv'}));
            node.dispatchEvent(new DragEvent('dragover', {dataTransfer: data, bubbles: true, cancelable: true}));
            node.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));
        }""")
        row = panel.locator(ROW.format("dropped.csv"))
        row.wait_for(timeout=30_000)
        assert row.locator(".jp-Datalab-storage-size").inner_text() == "10 B"
        row.locator("[data-action='delete']").click()
        page.locator(".jp-Dialog .jp-mod-accept").click()
        row.wait_for(state="detached", timeout=30_000)
    finally:
        context.close()


def test_an_upload_can_be_cancelled_and_leaves_nothing(stack, chromium, tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(300 * 1024 * 1024)  # sparse: 300 MB to send, nothing to write
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        panel = open_storage(page, stack, "carol")
        panel.locator("input.jp-Datalab-upload-input").set_input_files(str(big))
        item = panel.locator(".jp-Datalab-upload-item[data-name='big.bin']")
        item.wait_for(timeout=30_000)
        item.locator("[data-action='cancel']").click()
        page.wait_for_selector(".jp-Datalab-upload-item[data-name='big.bin'][data-state='cancelled']",
                               timeout=30_000)
        toolbar_button(page, "storage", "refresh").click()
        page.wait_for_timeout(1000)
        assert panel.locator(ROW.format("big.bin")).count() == 0
    finally:
        context.close()
