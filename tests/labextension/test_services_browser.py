"""The Services panel in a real browser: launch from the catalog, watch it become ready,
see the connection (password hidden until asked), open the web UI, delete."""

from ..browser import ARTIFACTS, login_and_open_sidebar, screenshot
from .sections import set_theme

READY_TIMEOUT = 120_000  # MLflow imports a lot on a cold start


def open_services(page, stack, username):
    login_and_open_sidebar(page, stack, username)
    panel = page.locator(".jp-Datalab-services")
    panel.locator(".jp-Datalab-serviceCard").first.wait_for(timeout=60_000)
    return panel


def launch(page, panel, entry, name):
    """Click the entry's card, name the instance, launch; the row of the new service."""
    card = panel.locator(f".jp-Datalab-serviceCard[data-entry='{entry}']")
    assert card.is_enabled(), card.inner_text()  # unavailable: the card says why
    card.click()
    form = panel.locator(f".jp-Datalab-launchForm[data-entry='{entry}']")
    form.wait_for(timeout=10_000)
    form.locator("input[name='instance-name']").fill(name)
    form.locator("button[data-action='launch']").click()
    row = panel.locator(f".jp-Datalab-service[data-service='alice/{name}']")
    row.wait_for(timeout=30_000)
    return row


def wait_ready(row):
    row.locator(".jp-Datalab-serviceStatus[data-status='ready'], "
                ".jp-Datalab-serviceStatus[data-status='failed']").wait_for(timeout=READY_TIMEOUT)
    assert row.get_attribute("data-status") == "ready", row.inner_text()


def delete(page, panel, row, name):
    row.locator("button[data-action='delete']").click()
    page.locator(".jp-Dialog .jp-mod-accept").click()
    panel.locator(f".jp-Datalab-service[data-service='alice/{name}']").wait_for(
        state="detached", timeout=60_000)


def shot(page, locator, name):
    """The whole page (tests/browser.screenshot) and the sidebar alone, to check the layout."""
    screenshot(page, name)
    locator.screenshot(path=str(ARTIFACTS / f"{name}-sidebar.png"))


def test_launch_redis_see_its_connection_and_delete_it(stack, chromium):
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(message.text))
    try:
        panel = open_services(page, stack, "alice")
        sidebar = page.locator(".jp-Datalab-sidebar")
        panel.scroll_into_view_if_needed()
        shot(page, sidebar, "services-catalog")

        panel.locator(".jp-Datalab-serviceCard[data-entry='redis']").click()
        form = panel.locator(".jp-Datalab-launchForm[data-entry='redis']")
        form.wait_for(timeout=10_000)
        assert form.locator("input[type='range']").count() >= 2  # cpu and memory sliders
        shot(page, sidebar, "services-launch-form")
        panel.locator("button[data-action='back']").click()

        row = launch(page, panel, "redis", "panel-cache")
        wait_ready(row)

        # a refusal of the server is shown in its words, in the form, inputs kept
        panel.locator(".jp-Datalab-serviceCard[data-entry='redis']").click()
        form = panel.locator(".jp-Datalab-launchForm[data-entry='redis']")
        form.locator("input[name='instance-name']").fill("panel-cache")
        form.locator("button[data-action='launch']").click()
        problem = form.locator(".jp-Datalab-launchError")
        problem.wait_for(timeout=30_000)
        assert "panel-cache" in problem.inner_text(), problem.inner_text()
        assert form.locator("input[name='instance-name']").input_value() == "panel-cache"
        panel.locator("button[data-action='back']").click()
        assert row.locator("a[data-action='open']").count() == 0  # redis has no web UI

        row.locator("button[data-action='connection']").click()
        url_row = row.locator("tr[data-var='REDIS_URL']")
        url_row.wait_for(timeout=10_000)
        hidden = url_row.locator(".jp-Datalab-serviceVarValue").inner_text()
        assert hidden.startswith("redis://:") and "••••" in hidden, hidden
        snippet = row.locator(".jp-Datalab-snippet[data-snippet='Redis'] pre").inner_text()
        assert 'redis.Redis.from_url(os.environ["REDIS_URL_PANEL_CACHE"])' in snippet, snippet
        shot(page, sidebar, "services-connection-light")

        row.locator("button[data-action='reveal']").click()
        shown = url_row.locator(".jp-Datalab-serviceVarValue").inner_text()
        assert "••••" not in shown and shown.startswith("redis://:"), "password not revealed"
        password = shown.split("://:", 1)[1].split("@", 1)[0]
        row.locator("button[data-action='reveal']").click()
        assert "••••" in url_row.locator(".jp-Datalab-serviceVarValue").inner_text()

        row.locator("button[data-action='logs']").click()
        row.locator(".jp-Datalab-serviceLogLines").wait_for(timeout=10_000)

        # alice is in project stats: share, see it said, unshare
        row.locator("button[data-action='share']").click()
        row.locator("select[data-action='share-project']").select_option("stats")
        row.locator("button[data-action='share-confirm']").click()
        row.locator(".jp-Datalab-serviceMeta:has-text('stats')").wait_for(timeout=30_000)
        assert row.get_attribute("data-shared") == "true"
        row.locator("button[data-action='unshare']").click()
        row.locator("button[data-action='share']").wait_for(timeout=30_000)
        assert row.get_attribute("data-shared") == "false"

        set_theme(page, stack.hub_url, "alice", "JupyterLab Dark")
        try:
            panel = page.locator(".jp-Datalab-services")
            row = panel.locator(".jp-Datalab-service[data-service='alice/panel-cache']")
            row.wait_for(timeout=30_000)
            row.locator("button[data-action='connection']").click()
            row.locator("tr[data-var='REDIS_URL']").wait_for(timeout=10_000)
            row.scroll_into_view_if_needed()
            shot(page, page.locator(".jp-Datalab-sidebar"), "services-connection-dark")
            panel.locator(".jp-Datalab-serviceCard[data-entry='postgresql']").click()
            panel.locator(".jp-Datalab-launchForm").wait_for(timeout=10_000)
            shot(page, page.locator(".jp-Datalab-sidebar"), "services-launch-form-dark")
            panel.locator("button[data-action='back']").click()
        finally:
            set_theme(page, stack.hub_url, "alice", "JupyterLab Light")

        panel = page.locator(".jp-Datalab-services")
        row = panel.locator(".jp-Datalab-service[data-service='alice/panel-cache']")
        delete(page, panel, row, "panel-cache")
        # the password never reached the console or the browser's storage
        assert not [line for line in console if password in line]
        stored = page.evaluate("() => JSON.stringify(Object.assign({}, localStorage, sessionStorage))")
        assert password not in stored
    finally:
        context.close()


def test_launch_mlflow_open_its_ui_and_delete_it(stack, chromium):
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    try:
        panel = open_services(page, stack, "alice")
        row = launch(page, panel, "mlflow", "panel-mlflow")
        # progress while it starts (MLflow takes seconds: the bar is seen before ready)
        if row.get_attribute("data-status") == "starting":
            assert row.locator(".jp-Datalab-serviceBar").is_visible()
            screenshot(page, "services-starting")
        wait_ready(row)

        with context.expect_page() as opened:
            row.locator("a[data-action='open']").click()
        ui = opened.value
        ui.wait_for_load_state("domcontentloaded", timeout=60_000)
        assert "/open/alice/panel-mlflow/" in ui.url, ui.url
        ui.wait_for_function("() => document.title.includes('MLflow')", timeout=60_000)
        # the app itself rendered (its scripts came through the proxy), not only its shell
        ui.get_by_text("Experiments").first.wait_for(timeout=60_000)
        screenshot(ui, "services-mlflow-ui")
        ui.close()

        row.locator("button[data-action='connection']").click()
        row.locator("tr[data-var='MLFLOW_TRACKING_URI']").wait_for(timeout=10_000)
        snippet = row.locator(".jp-Datalab-snippet[data-snippet='MLflow'] pre").inner_text()
        assert 'mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI_PANEL_MLFLOW"])' in snippet

        delete(page, panel, row, "panel-mlflow")
    finally:
        context.close()
