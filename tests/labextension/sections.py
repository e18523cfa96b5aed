"""The Datalab sidebar's sections as a test finds them: each section is a JupyterLab
`PanelWithToolbar` in the sidebar's accordion, its toolbar in its header (outside the
section's own node, which holds its body)."""

import json

from ..browser import ARTIFACTS, open_sidebar


def section_header(page, kind):
    """The accordion header of a section (`storage`, `secrets`, `services`)."""
    return page.locator(f".jp-Datalab-sidebar .lm-AccordionPanel-title[aria-controls='jp-Datalab-panel-{kind}']")


def toolbar_button(page, kind, action):
    """A section's toolbar button (a JupyterLab `ToolbarButton`, a `jp-button` element)."""
    return section_header(page, kind).locator(f"[data-action='{action}']")


def set_theme(page, hub_url, username, theme):
    """Save JupyterLab's theme through its settings API, then reload the page."""
    url = f"{hub_url}/user/{username}/lab/api/settings/@jupyterlab/apputils-extension:themes"
    status = page.evaluate(
        """async ([url, raw]) => {
            const xsrf = document.cookie.split('; ').find(c => c.startsWith('_xsrf='));
            const r = await fetch(url, {method: 'PUT', credentials: 'same-origin',
                headers: {'Content-Type': 'application/json',
                          'X-XSRFToken': xsrf ? decodeURIComponent(xsrf.slice(6)) : ''},
                body: JSON.stringify({raw})});
            return r.status;
        }""",
        [url, json.dumps({"theme": theme})],
    )
    assert status in (200, 204), status
    page.reload()
    open_sidebar(page)
    light = "false" if "Dark" in theme else "true"
    page.wait_for_selector(f"body[data-jp-theme-light='{light}']", state="attached", timeout=30_000)


def shoot_sidebar(page, name):
    """The sidebar alone, as a test artifact (test-artifacts/NAME.png)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.locator(".jp-Datalab-sidebar").screenshot(path=str(path))
    return path
