"""Choosing a profile through the real hub of `datalab up`: form posts, the REST API, named servers.

Every request goes through the proxy to the real hub; the servers are real local processes.
"""

import json
import time

import pytest

from ..stackctl import oidc_login, spawn_form_post, start_server
from ..waiting import wait_until

API = "hub"  # what alice, bob and carol call (tests/clients.py)


def hub_api(session, hub_url, method, path, body=None):
    """A hub REST API call with the browser session's cookie, as the hub's own pages make."""
    xsrf = next(c.value for c in session.cookies if c.name == "_xsrf" and c.path.startswith("/hub"))
    return session.request(method, f"{hub_url}/hub/api/{path}", json=body, timeout=60,
                           headers={"X-XSRFToken": xsrf})


def wait_stopped(session, hub_url, user, server=""):
    wait_until(lambda: server not in hub_api(session, hub_url, "GET", f"users/{user}").json()["servers"],
               f"{user}/{server} stopped")


def test_the_spawn_page_shows_the_catalog_and_unavailable_entries_say_why(stack, alice):
    page = alice.get(f"{stack.hub_url}/hub/spawn/alice/analysis", timeout=60).text
    for entry in ("jupyter-python", "jupyter-r", "jupyter-pyspark", "vscode-python", "rstudio"):
        assert f'value="{entry}"' in page, entry
    assert "apt-get install r-base" in page  # R is not on this machine: the card says how to fix it
    assert 'value="jupyter-pytorch-gpu"' not in page, "a restricted entry is shown to alice"


def test_alice_starts_a_named_server_with_non_default_options_from_the_form(stack, alice):
    options = {"version": "py3.12.9", "resources.cpu": "1.5", "resources.memory": "6",
               "git.name": "Alice M.", "connections.vault": "false"}
    start_server(alice, stack.hub_url, "alice", entry="jupyter-python", options=options, server="analysis")
    env = stack.server_envs("alice")["analysis"]
    assert env["DATALAB_ENTRY"] == "jupyter-python" and env["DATALAB_ENTRY_VERSION"] == "py3.12.9"
    assert env["DATALAB_IMAGE"] == "inseefrlab/onyxia-jupyter-python:py3.12.9"
    assert float(env["CPU_LIMIT"]) == 1.5 and int(env["MEM_LIMIT"]) == 6 * 1024**3
    assert env["GIT_USER_NAME"] == "Alice M." and env["GIT_USER_MAIL"] == "alice@demo.gouv.fr"
    assert "VAULT_TOKEN" not in env, "vault was switched off"
    assert env["AWS_SESSION_TOKEN"], "S3 stays on"
    # the hub kept her choice: the next form starts from it
    model = hub_api(alice, stack.hub_url, "GET", "users/alice").json()
    saved = model["servers"]["analysis"]["user_options"]
    assert saved["entry"] == "jupyter-python" and saved["options"]["resources"]["cpu"] == 1.5


def test_several_environments_run_at_once(stack, alice):
    start_server(alice, stack.hub_url, "alice")
    start_server(alice, stack.hub_url, "alice", server="second")
    running = stack.server_envs("alice")
    assert {"", "second"} <= set(running)
    assert running["second"]["DATALAB_ENTRY"] == "jupyter-python"
    assert hub_api(alice, stack.hub_url, "DELETE", "users/alice/servers/second").status_code in (202, 204)
    wait_stopped(alice, stack.hub_url, "alice", "second")


def test_an_out_of_bounds_form_post_shows_the_reason_on_the_spawn_page(stack, alice):
    r = spawn_form_post(alice, stack.hub_url, "alice", options={"resources.cpu": "64"}, server="crafted")
    assert r.status_code == 400
    assert "Option resources.cpu: 64.0 is above the maximum 2" in r.text or \
        "Option resources.cpu: 64 is above the maximum 2" in r.text, r.text[-3000:]
    assert 'value="jupyter-python"' in r.text, "the form is shown again"
    assert "crafted" not in stack.server_envs("alice")


@pytest.mark.parametrize("user_options, field, words", [
    ({"entry": "jupyter-python", "options": {"resources": {"cpu": 4}}}, "resources.cpu", "above the maximum 2"),
    ({"entry": "jupyter-python", "options": {"image": "evil/miner:latest"}}, "options", "unknown option image"),
    ({"entry": "jupyter-python", "options": {"version": "latest"}}, "version", "is not one of"),
    ({"entry": "jupyter-pytorch-gpu", "options": {}}, "entry", "no such environment"),
    ({"entry": "../../etc/passwd"}, "entry", "no such environment"),
])
def test_crafted_api_calls_are_refused_naming_the_field(stack, alice, user_options, field, words):
    r = hub_api(alice, stack.hub_url, "POST", "users/alice/servers/crafted", {"user_options": user_options})
    assert r.status_code == 400, (r.status_code, r.text)
    message = r.json()["message"]
    assert f"Option {field}: " in message and words in message, message
    assert "crafted" not in hub_api(alice, stack.hub_url, "GET", "users/alice").json()["servers"]


@pytest.mark.parametrize("language, said, unsaid", [
    ("fr-FR,fr;q=0.9,en;q=0.5", "Option resources.cpu : 4 dépasse le maximum 2", "above the maximum"),
    ("en-GB,en;q=0.9", "Option resources.cpu: 4 is above the maximum 2", "dépasse"),
])
def test_a_refusal_speaks_the_callers_language(stack, alice, language, said, unsaid):
    """Seen: the hub's refusals and progress were always both languages joined, while the
    user's server and the service answer in the caller's (one rule for every surface)."""
    xsrf = next(c.value for c in alice.cookies if c.name == "_xsrf" and c.path.startswith("/hub"))
    r = alice.post(f"{stack.hub_url}/hub/api/users/alice/servers/crafted", timeout=60,
                   json={"user_options": {"entry": "jupyter-python", "options": {"resources": {"cpu": 4}}}},
                   headers={"X-XSRFToken": xsrf, "Accept-Language": language})
    assert r.status_code == 400, (r.status_code, r.text)
    message = r.json()["message"]
    assert said in message and unsaid not in message, message


def test_an_entry_missing_on_this_machine_is_refused_with_the_fix(stack, alice):
    r = hub_api(alice, stack.hub_url, "POST", "users/alice/servers/crafted",
                {"user_options": {"entry": "jupyter-r"}})
    assert r.status_code == 400 and "apt-get install r-base" in r.json()["message"]


def test_a_valid_api_call_starts_the_entry_and_progress_says_what_happens(stack, alice):
    import threading

    xsrf = next(c.value for c in alice.cookies if c.name == "_xsrf" and c.path.startswith("/hub"))
    answer = {}
    body = {"user_options": {"entry": "jupyter-python", "options": {"resources": {"memory": 2}}}}
    post = threading.Thread(target=lambda: answer.update(r=hub_api(
        alice, stack.hub_url, "POST", "users/alice/servers/second", body)))
    post.start()
    events = []
    deadline = time.monotonic() + 60
    while not events and time.monotonic() < deadline:  # follow the spawn while it is pending
        with alice.get(f"{stack.hub_url}/hub/api/users/alice/servers/second/progress", stream=True,
                       timeout=120, headers={"X-XSRFToken": xsrf}) as stream:
            if stream.status_code != 200:
                time.sleep(0.05)
                continue
            for line in stream.iter_lines(decode_unicode=True):
                if line.startswith("data:"):
                    events.append(json.loads(line[5:]))
                    if events[-1].get("ready") or events[-1].get("failed"):
                        break
    post.join(120)
    assert answer["r"].status_code in (201, 202), answer["r"].text
    messages = " | ".join(e.get("message", "") for e in events)
    assert "options checked" in messages and "S3 credentials" in messages, messages
    assert "Starting Jupyter Python py3.13.2" in messages and events[-1].get("ready"), messages
    assert "identifiants S3" in messages, "progress speaks French too"
    assert int(stack.server_envs("alice")["second"]["MEM_LIMIT"]) == 2 * 1024**3
    hub_api(alice, stack.hub_url, "DELETE", "users/alice/servers/second")
    wait_stopped(alice, stack.hub_url, "alice", "second")


def test_bob_cannot_start_or_stop_alices_servers(stack, alice):
    bob = oidc_login(stack.hub_url, "bob", stack.password("bob"))
    start_server(alice, stack.hub_url, "alice")
    r = hub_api(bob, stack.hub_url, "POST", "users/alice/servers/intrusion",
                {"user_options": {"entry": "jupyter-python"}})
    assert r.status_code in (403, 404)
    assert hub_api(bob, stack.hub_url, "DELETE", "users/alice/server").status_code in (403, 404)
    assert "" in stack.server_envs("alice")
    assert stack.server_env("alice")["JUPYTERHUB_USER"] == "alice"
