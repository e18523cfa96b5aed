"""Choosing a profile in a real browser: cards, a form from the entry's schema, fr/en, dark mode."""

from ..browser import screenshot, sign_in


def test_alice_picks_non_default_options_and_her_server_runs_with_them(stack, chromium):
    context = chromium.new_context(viewport={"width": 1200, "height": 1600}, locale="en-US")
    page = context.new_page()
    try:
        sign_in(page, stack, "alice")
        page.goto(f"{stack.hub_url}/hub/spawn/alice/picked")
        form = page.locator("#datalab-profiles")
        form.wait_for()
        # R is missing here: its card says so and cannot be chosen
        r_card = page.locator("#dl-entry-jupyter-r")
        assert r_card.is_disabled()
        assert "apt-get install r-base" in page.locator(".dl-card", has=r_card).inner_text()
        page.locator("label[for='dl-entry-jupyter-python']").click()
        fields = page.locator("fieldset[data-dl-entry='jupyter-python']")
        assert fields.is_visible()
        assert not page.locator("fieldset[data-dl-entry='vscode-python']").is_visible()
        fields.locator("select[name='jupyter-python/version']").select_option("py3.12.9")
        cpu = fields.locator("input[name='jupyter-python/resources.cpu']")
        assert cpu.get_attribute("max") == "2", "the admin's bound reaches the slider"
        cpu.fill("2")  # a range input takes fill(); the page's script updates the number shown
        assert fields.locator(f"output[for='{cpu.get_attribute('id')}']").inner_text() == "2"
        fields.locator("label:has-text('Vault secrets')").click()
        assert not fields.locator("input[type=checkbox][name='jupyter-python/connections.vault']").is_checked()
        screenshot(page, "spawn-page-en-light")
        page.locator("#spawn_form [type=submit]").click()
        page.wait_for_url(f"{stack.hub_url}/user/alice/picked/lab**", timeout=120_000)
        env = stack.server_envs("alice")["picked"]
        assert env["DATALAB_ENTRY_VERSION"] == "py3.12.9" and float(env["CPU_LIMIT"]) == 2
        assert "VAULT_TOKEN" not in env and env["AWS_SESSION_TOKEN"]
    finally:
        context.close()


def test_the_form_speaks_french_in_dark_mode(stack, chromium):
    context = chromium.new_context(viewport={"width": 1200, "height": 1400}, locale="fr-FR",
                                   color_scheme="dark")
    page = context.new_page()
    try:
        sign_in(page, stack, "bob")
        page.goto(f"{stack.hub_url}/hub/spawn/bob/sombre")
        page.locator("#datalab-profiles").wait_for()
        fields = page.locator("fieldset[data-dl-entry='jupyter-python']")
        legend = fields.locator("fieldset.dl-group legend").first
        assert legend.locator("span[lang='fr']").inner_text() == "Ressources"
        assert legend.locator("span[lang='fr']").is_visible()
        assert not legend.locator("span[lang='en']").is_visible()
        # the page follows the dark theme: the card background is dark, its text light
        background = page.evaluate("getComputedStyle(document.querySelector('.dl-card label')).backgroundColor")
        channels = [int(c) for c in background[background.index("(") + 1:].rstrip(")").split(",")[:3]]
        assert sum(channels) < 3 * 100, background
        screenshot(page, "spawn-page-fr-dark")
    finally:
        context.close()
