"""One language for one person: a browser asking for French gets the spawn page, JupyterLab
itself (its menus) and every Datalab panel in French, and the APIs' errors in French; a
browser asking for English gets all of it in English. Seen before: the spawn page was
French, but JupyterLab and the whole sidebar stayed English ("Upload", "New folder")."""

import json

import pytest

from ..browser import open_sidebar, screenshot, sign_in
from ..stackctl import serve_stack
from .sections import set_theme, shoot_sidebar, toolbar_button

CASES = {
    "fr": {"locale": "fr-FR", "user": "carol", "spawn": "Démarrer", "heading": "Options du serveur", "menu": "Fichier",
           "panels": ["Stockage", "Secrets", "Services"], "sidebar": "Téléverser",
           "body": ["Mes services", "Lancer un service", "Aucun secret ici pour l’instant."],
           "error": "Vous n'avez pas d'espace nommé"},
    "en": {"locale": "en-US", "user": "bob", "spawn": "Start", "heading": "Server Options", "menu": "File",
           "panels": ["Storage", "Secrets", "Services"], "sidebar": "Upload",
           "body": ["My services", "Launch a service", "No secrets here yet."],
           "error": "No space named"},
}


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    """Its own stack: its users' servers start here first, in the language of the browser."""
    yield from serve_stack(tmp_path_factory, "language")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_one_language_from_the_spawn_page_to_the_panels(own_stack, chromium, lang):
    case = CASES[lang]
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, locale=case["locale"])
    page = context.new_page()
    try:
        sign_in(page, own_stack, case["user"])
        page.wait_for_url(lambda url: "/hub/spawn" in url, timeout=60_000)
        assert case["spawn"] in page.locator("#spawn_form [type=submit]").inner_text()
        assert page.locator("h1").first.inner_text().strip() == case["heading"]
        screenshot(page, f"language-{lang}-spawn-page")
        page.locator("#spawn_form [type=submit]").click()
        page.wait_for_url(f"{own_stack.hub_url}/user/{case['user']}/lab**", timeout=120_000)
        open_sidebar(page)
        menu = page.locator(".lm-MenuBar-itemLabel").first
        menu.wait_for(timeout=60_000)
        assert menu.inner_text().strip() == case["menu"], menu.inner_text()
        sidebar = page.locator(".jp-Datalab-sidebar")
        upload = toolbar_button(page, "storage", "upload")
        upload.wait_for(timeout=30_000)
        assert upload.get_attribute("title") == case["sidebar"]
        titles = sidebar.locator(".lm-AccordionPanel-titleLabel").all_text_contents()
        assert titles == case["panels"], titles
        for words in case["body"]:
            sidebar.get_by_text(words, exact=True).first.wait_for(timeout=30_000)
        screenshot(page, f"language-{lang}-lab")
        # an error of the storage API, asked by the page as the panel asks
        answer = page.evaluate("""async (user) => {
            const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1] || '';
            const r = await fetch(`/user/${user}/datalab/api/storage/no-such-space/list`,
                                  {headers: {'X-XSRFToken': decodeURIComponent(xsrf)}});
            return {status: r.status, body: await r.json()};
        }""", case["user"])
        assert answer["status"] == 404 and case["error"] in answer["body"]["message"], answer
        # the extension's own gettext catalog, as JupyterLab serves it to its ITranslator
        answer = page.evaluate("""async (user) => {
            const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1] || '';
            const r = await fetch(`/user/${user}/lab/api/translations/fr_FR`,
                                  {headers: {'X-XSRFToken': decodeURIComponent(xsrf)}});
            return {status: r.status, body: await r.text()};
        }""", case["user"])
        assert answer["status"] == 200, answer
        catalog = json.loads(answer["body"])["data"].get("jupyterhub_datalab")
        assert catalog and catalog["Upload"] == ["Téléverser"], answer["body"][:300]
        assert catalog[""]["domain"] == "jupyterhub_datalab"
        # the sidebar in both themes, in this language (colours come from the theme only)
        sidebar.get_by_text(case["body"][1], exact=True).first.wait_for(timeout=30_000)
        shoot_sidebar(page, f"sidebar-{lang}-light")
        set_theme(page, own_stack.hub_url, case["user"], "JupyterLab Dark")
        sidebar.get_by_text(case["body"][1], exact=True).first.wait_for(timeout=30_000)
        background = page.evaluate(
            "getComputedStyle(document.querySelector('.jp-Datalab-sidebar')).backgroundColor")
        # the space pickers (a person with projects has some) follow the theme too
        pickers = page.evaluate("""() => [...document.querySelectorAll('.jp-Datalab-sidebar select')]
            .map(s => getComputedStyle(s).backgroundColor)""")
        shoot_sidebar(page, f"sidebar-{lang}-dark")
        set_theme(page, own_stack.hub_url, case["user"], "JupyterLab Light")
        for color in [background, *pickers]:
            channels = [int(c) for c in color[color.index("(") + 1:].rstrip(")").split(",")[:3]]
            assert sum(channels) < 3 * 100, (color, background, pickers)
    finally:
        context.close()
