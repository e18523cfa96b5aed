"""Headless Chromium (Debian's package) driven by playwright, for the browser tests."""

import os
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


class ChromiumMissing(Exception):
    pass


def find_chromium(path=None):
    """The Chromium binary to drive, or a one-line error saying how to get it."""
    path = path or os.environ.get("DATALAB_CHROMIUM") or "/usr/bin/chromium"
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise ChromiumMissing(
            f"chromium not found at {path}: install it with `apt-get install -y chromium` "
            "or point DATALAB_CHROMIUM at a Chromium binary"
        )
    return path


@pytest.fixture(scope="module")
def chromium():
    """One browser per test module: playwright's sync API keeps an event loop running
    while it is open, which asyncio tests in later modules must not inherit."""
    from playwright.sync_api import sync_playwright

    try:
        executable = find_chromium()
    except ChromiumMissing as e:
        pytest.fail(str(e), pytrace=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def sign_in(page, stack, username):
    """Log in by clicking through the provider's form; the hub then shows its next page."""
    page.goto(stack.hub_url + "/hub/login")
    page.click("a:has-text('Sign in with')")
    page.fill("#username", username)
    page.fill("#password", stack.password(username))
    page.click("#login-submit")
    page.wait_for_url(lambda url: "/hub/" in url or f"/user/{username}/" in url, timeout=60_000)


def open_lab(page, stack, username):
    """Log in and start the default environment if need be, until JupyterLab's URL."""
    sign_in(page, stack, username)
    # the spawn page offers the catalog (unless the server runs already): start the default
    page.wait_for_url(lambda url: "/hub/spawn" in url or f"/user/{username}/lab" in url, timeout=60_000)
    if "/hub/spawn" in page.url:
        page.locator("#spawn_form [type=submit]").click()
    page.wait_for_url(f"{stack.hub_url}/user/{username}/lab**", timeout=120_000)


def login_and_open_sidebar(page, stack, username):
    """Log in, start the default environment if need be, wait for JupyterLab, open Datalab."""
    open_lab(page, stack, username)
    open_sidebar(page)


def open_sidebar(page):
    """In JupyterLab, open the Datalab sidebar (unless the restored layout has it open)."""
    tab = page.locator(".jp-SideBar .lm-TabBar-tab[data-id='datalab-sidebar']")
    tab.wait_for(timeout=60_000)
    page.wait_for_selector("#main.jp-LabShell, .jp-LabShell", timeout=60_000)
    page.wait_for_timeout(500)  # let JupyterLab restore the saved layout first
    if "lm-mod-current" not in (tab.get_attribute("class") or ""):
        tab.click()  # a restored layout may have it open already: clicking would close it
    page.locator(".jp-Datalab-sidebar").wait_for(state="visible", timeout=30_000)
