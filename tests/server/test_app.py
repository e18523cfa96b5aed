"""The extension is a jupyter-server ExtensionApp (``DatalabServerApp``) whose settings are
traits: their defaults are the variables the hub's spawner sets, a config file can set each,
and handlers read them from the app. Seen before: nine ``os.environ`` knobs read here and
there by the handlers, documented nowhere, that no config file could set.

API errors answer in the caller's language by the datalab's one rule: the person's choice
(JupyterLab's language, chosen in Settings > Language), else the browser's, else the hub's
choice at spawn time (``$DATALAB_LANGUAGE``, from the login's ``locale`` claim)."""

import json
import os
import socket
import subprocess
import sys

import pytest
import requests

from jupyterhub_datalab.server.language import MARK, SETTING, chosen_language

from ..waiting import wait_until

TOKEN = "a-test-token"


@pytest.mark.unit
def test_settings_default_to_what_the_spawner_sets_and_config_wins(monkeypatch):
    from traitlets.config import Config

    from jupyterhub_datalab.server.app import DatalabServerApp

    monkeypatch.setenv("DATALAB_SERVICE_URL", "http://hub:10101/")
    monkeypatch.setenv("DATALAB_VAULT_ROLE", "agents")
    monkeypatch.setenv("DATALAB_INJECTED_KEYS", "A,B")
    monkeypatch.delenv("DATALAB_VAULT_JWT_MOUNT", raising=False)
    app = DatalabServerApp()
    assert (app.service_url, app.vault_role, app.vault_jwt_mount, app.injected_keys) == \
        ("http://hub:10101", "agents", "jwt", ["A", "B"])
    c = Config()
    c.DatalabServerApp.vault_role = "from-config"
    assert DatalabServerApp(config=c).vault_role == "from-config"


@pytest.mark.unit
def test_the_extension_point_is_the_app_and_the_hub_side_needs_no_server():
    import jupyterhub_datalab

    (point,) = jupyterhub_datalab._jupyter_server_extension_points()
    assert point["module"] == "jupyterhub_datalab.server" and point["app"].name == "jupyterhub_datalab"


@pytest.mark.unit
def test_only_the_persons_own_jupyterlab_choice_counts(tmp_path):
    path = tmp_path / SETTING
    assert chosen_language(tmp_path) is None  # nothing chosen
    path.parent.mkdir(parents=True)
    path.write_text(f"{MARK}\n{json.dumps({'locale': 'fr_FR'})}\n")
    assert chosen_language(tmp_path) is None  # ours, from the browser at spawn time
    path.write_text('{\n  // chosen in Settings > Language\n  "locale": "en"\n}')
    assert chosen_language(tmp_path) == "en"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """A jupyter server with the extension, configured as the hub's spawner configures it."""
    port = free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"), DATALAB_LANGUAGE="fr",
               DATALAB_SERVICE_URL=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={tmp_path}", "--no-browser",
         "--allow-root"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/datalab/api"

    def up():
        try:
            return requests.get(f"{url}/info", headers={"Authorization": f"token {TOKEN}"}, timeout=5).ok
        except requests.ConnectionError:
            return proc.poll() is not None and pytest.fail((tmp_path / "server.log").read_text())

    try:
        wait_until(up, "the jupyter server answering")
        yield url, tmp_path / "settings"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def get(url, language=None, **params):
    headers = {"Authorization": f"token {TOKEN}"}
    if language:
        headers["Accept-Language"] = language
    return requests.get(url, headers=headers, params=params, timeout=10)


def test_errors_follow_the_one_language_rule(server):
    url, settings = server
    missing = f"{url}/storage/no-such-space/list"
    # no browser language: the hub's choice at spawn time (French here)
    r = get(missing)
    assert r.status_code == 404 and r.json()["message"].startswith("Vous n'avez pas d'espace"), r.text
    assert r.json()["en"].startswith("No space named") and r.json()["fr"] == r.json()["message"]
    # the browser's language comes before it
    assert get(missing, "en-US,en;q=0.9").json()["message"].startswith("No space named")
    # the person's own choice in JupyterLab comes before the browser's
    (settings / SETTING).write_text('{"locale": "fr_FR"}')
    assert get(missing, "en-US").json()["message"].startswith("Vous n'avez pas d'espace")
    # tornado's own refusals and bad values too, with the field named
    assert get(f"{url}/secrets/personal/secret", "fr").json()["message"] == "Argument manquant : path."
    bad = get(f"{url}/storage/personal/list", "fr", limit="abc").json()
    assert bad["message"] == "limit doit être un nombre entier, pas 'abc'.", bad


def test_handlers_read_the_apps_settings(server):
    url, _ = server
    # the datalab service is down: its calls say so in the caller's language
    r = get(f"{url}/services/services", "fr")
    assert r.status_code == 503 and r.json()["message"].startswith("Le service datalab est injoignable"), r.text
    r = get(f"{url}/catalog", "en")
    assert r.status_code == 503 and r.json()["message"].startswith("The datalab service cannot be reached")
