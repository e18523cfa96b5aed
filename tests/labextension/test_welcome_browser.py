"""The Datalab welcome page in a real browser: a first-time user sees it, opens a training.

carol is the user here. Other browser tests open her JupyterLab too, so the test first
makes hers a first login again: JupyterLab keeps what it remembers of a user (her
settings, the welcome page's "shown" among them, and her saved layouts) in files of
her home, which it reads at each request.
"""

import json
import shutil

from jupyterhub_datalab.catalog import DatalabCatalog

from ..browser import open_lab, screenshot, sign_in
from ..waiting import wait_until


def lab_api(page, url, method="GET", raw=None):
    """(status, JSON body) of a call to her server's API from the page, with its XSRF token
    (JupyterHub's servers refuse cookie-authenticated API calls without it, GET included)."""
    return page.evaluate(
        """async ([url, method, raw]) => {
            const xsrf = document.cookie.split('; ').find(c => c.startsWith('_xsrf='));
            const init = {method, headers: {'X-XSRFToken': xsrf ? xsrf.slice(6) : ''}};
            if (raw !== null) {
                init.headers['Content-Type'] = 'application/json';
                init.body = JSON.stringify({raw});
            }
            const r = await fetch(url, init);
            const text = await r.text();
            return [r.status, text ? JSON.parse(text) : null];
        }""", [url, method, raw])


def set_theme(page, stack, theme):
    """Save JupyterLab's theme through its settings API and reload (the welcome page is restored)."""
    url = f"{stack.hub_url}/user/{USER}/lab/api/settings/@jupyterlab/apputils-extension:themes"
    status, _ = lab_api(page, url, "PUT", json.dumps({"theme": theme}))
    assert status in (200, 204), status
    page.reload()
    page.wait_for_selector(".jp-LabShell", timeout=60_000)

USER = "carol"


def trainings():
    """The trainings of the shipped catalog carol may start (no access rule in `datalab up` names them)."""
    return [e for e in DatalabCatalog().entries("environment") if e.category == "training"]


def open_from_palette(page):
    """The command palette opens the page (or shows it, when the layout restored it)."""
    page.locator(".jp-Datalab-sidebar").wait_for(state="attached", timeout=60_000)
    page.keyboard.press("Control+Shift+C")
    palette = page.locator(".lm-CommandPalette-input")
    palette.wait_for(timeout=30_000)
    palette.fill("Datalab welcome")
    page.locator(".lm-CommandPalette-item:has-text('Datalab welcome')").first.click()
    page.locator("#datalab-welcome .jp-Datalab-welcome").wait_for(state="visible", timeout=30_000)
    assert page.locator("#datalab-welcome").count() == 1


def forget_jupyterlab_state(stack, user):
    """Her JupyterLab settings and workspaces gone: her next lab is a first login."""
    lab = stack.state_dir / "users" / user / ".jupyter" / "lab"
    for folder in ("user-settings", "workspaces"):
        shutil.rmtree(lab / folder, ignore_errors=True)


def test_first_login_shows_the_welcome_page_then_a_training_opens(stack, chromium):
    forget_jupyterlab_state(stack, USER)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    try:
        open_lab(page, stack, USER)

        # first login: the page opens by itself, in English here
        welcome = page.locator("#datalab-welcome .jp-Datalab-welcome")
        welcome.wait_for(state="visible", timeout=60_000)
        assert welcome.locator("h1").inner_text() == "Welcome to the datalab"
        status = welcome.locator(".jp-Datalab-welcome-status")
        page.wait_for_function(
            "() => !document.querySelector('.jp-Datalab-welcome-status')?.textContent.includes('Loading')",
            timeout=30_000)
        expected = trainings()
        items = welcome.locator(".jp-Datalab-welcome-training")
        if expected:
            items.first.wait_for(timeout=30_000)
            assert sorted(items.evaluate_all("els => els.map(e => e.dataset.entry)")) == \
                sorted(e.id for e in expected)
            first = next(e for e in expected if e.id == "first-steps") if any(
                e.id == "first-steps" for e in expected) else expected[0]
            item = welcome.locator(f".jp-Datalab-welcome-training[data-entry='{first.id}']")
            assert first.text("name") in item.inner_text()
            assert item.locator("a").get_attribute("href") == \
                f"/hub/datalab/launch/{first.id}?server={first.id}"
        else:
            assert status.inner_text() == "No training is offered on this datalab yet."
        # the docs: a link when configured, else words saying whom to ask
        docs = welcome.locator("[data-section='docs']")
        assert docs.locator("a").count() == 1 or "ask your administrator" in docs.inner_text()
        screenshot(page, "welcome-en-light")

        # remembered in her settings on the server, not in the browser
        url = f"{stack.hub_url}/user/{USER}/lab/api/settings/jupyterhub-datalab:welcome"

        def remembered():
            status, body = lab_api(page, url)
            assert status == 200, (status, body)
            return '"shown": true' in (body.get("raw") or "")
        wait_until(remembered, "the welcome page's 'shown' setting saved as true")

        # the offers' buttons open the sidebar's sections
        welcome.locator("[data-panel='secrets'] button").click()
        page.locator(".jp-Datalab-sidebar").wait_for(state="visible", timeout=30_000)
        page.locator(".jp-Datalab-panel[data-panel='secrets']").wait_for(state="visible")

        # a second visit: closed, it stays closed after a reload; the Launcher brings it back
        page.locator(".lm-TabBar-tab[data-id='datalab-welcome'] .lm-TabBar-tabCloseIcon").click()
        welcome.wait_for(state="detached", timeout=10_000)
        # JupyterLab saves the layout to the server's workspace after a short debounce
        workspaces = f"{stack.hub_url}/user/{USER}/lab/api/workspaces"

        def forgotten():
            status, body = lab_api(page, workspaces)
            assert status == 200, (status, body)
            return "datalab-welcome:" not in json.dumps(body)
        wait_until(forgotten, "the closed welcome page gone from her saved workspace")
        page.reload()
        page.wait_for_selector(".jp-LabShell", timeout=60_000)
        page.locator(".jp-Datalab-sidebar").wait_for(state="attached", timeout=60_000)
        page.wait_for_timeout(1500)
        assert page.locator("#datalab-welcome").count() == 0
        # the file browser's launcher button, or the main area's "+" when the restored
        # layout shows another side panel (the Datalab one) instead of the file browser
        page.locator(".jp-ToolbarButtonComponent[data-command='launcher:create']:visible, "
                     ".lm-DockPanel-tabBar .lm-TabBar-addButton:visible").first.click()
        card = page.locator(".jp-LauncherCard:has-text('Datalab welcome')").last
        card.wait_for(timeout=30_000)
        card.click()
        welcome.wait_for(state="visible", timeout=30_000)

        set_theme(page, stack, "JupyterLab Dark")
        open_from_palette(page)
        page.wait_for_timeout(500)
        background = page.evaluate(
            "getComputedStyle(document.querySelector('.jp-Datalab-welcome')).backgroundColor")
        channels = [int(c) for c in background[background.index("(") + 1:].rstrip(")").split(",")[:3]]
        assert sum(channels) < 3 * 100, background
        screenshot(page, "welcome-en-dark")
        set_theme(page, stack, "JupyterLab Light")

        if not expected:
            return
        # Start: the launch link opens the pre-filled spawn page in a new tab; nothing runs yet
        open_from_palette(page)
        with context.expect_page() as opened:
            item.locator("a").click()
        spawn = opened.value
        spawn.wait_for_load_state()
        assert spawn.url.startswith(f"{stack.hub_url}/hub/datalab/launch/{first.id}")
        assert spawn.locator(f"#dl-entry-{first.id}").is_checked()
        assert "Opened from a launch link" in spawn.locator(".dl-notice").first.inner_text()
        spawn.locator(f".dl-card:has(#dl-entry-{first.id})").scroll_into_view_if_needed()
        screenshot(spawn, "welcome-training-spawn-page")
        # the form gives its own launch link back (only what differs from the defaults)
        spawn.locator(".dl-share button").click()
        assert spawn.locator(".dl-share input").input_value() == \
            f"{stack.hub_url}/hub/datalab/launch/{first.id}?server={first.id}"
        spawn.locator(f"select[name='{first.id}/version']").select_option(first.versions[1])
        spawn.locator(".dl-share button").click()
        spawn.locator(".dl-share").scroll_into_view_if_needed()
        screenshot(spawn, "launch-link-copied")
        assert spawn.locator(".dl-share input").input_value() == \
            f"{stack.hub_url}/hub/datalab/launch/{first.id}?server={first.id}&version={first.versions[1]}"
        spawn.locator("#spawn_form [type=submit]").click()
        spawn.wait_for_url(f"{stack.hub_url}/user/{USER}/{first.id}/**", timeout=180_000)
        # the training's first notebook is open in its server
        notebooks = set(first.training["open"].values())
        tab = spawn.locator(".lm-TabBar-tab .lm-TabBar-tabLabel", has_text=".ipynb")
        tab.first.wait_for(timeout=120_000)
        assert any(t.strip() in notebooks for t in tab.all_inner_texts()), tab.all_inner_texts()
        spawn.locator(".jp-NotebookPanel").first.wait_for(state="visible", timeout=60_000)
        spawn.locator(".jp-NotebookPanel .jp-MarkdownOutput h1").first.wait_for(timeout=60_000)
        screenshot(spawn, "welcome-training-notebook")
    finally:
        context.close()


def test_a_refused_launch_link_speaks_the_browsers_french(stack, chromium):
    """The spawn page (and a refused link's message) follows the browser's language."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    try:
        sign_in(page, stack, USER)
        page.goto(f"{stack.hub_url}/hub/datalab/launch/jupyter-python?resources.cpu=64")
        alert = page.locator(".spawn-error-msg")
        assert "Option resources.cpu : 64 dépasse le maximum 2" in alert.inner_text()
        # the form below speaks the browser's language
        assert page.locator("#datalab-profiles.dl-fr").count() == 1
        screenshot(page, "launch-link-refused-fr")
    finally:
        context.close()
