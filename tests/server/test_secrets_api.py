"""The secrets REST API of real servers on the real OpenBao; injection into kernels and servers."""

import json
import secrets
import time

import pytest

from ..stackctl import run_in_kernel, start_server

API = "secrets"  # what alice, bob and carol call (tests/clients.py)

VALUES = {name: f"{name}-{secrets.token_hex(12)}" for name in ("pg", "pg2", "api", "team", "big")}


def test_spaces_are_personal_then_projects(alice, carol):
    assert alice("GET", "spaces").json()["spaces"] == [
        {"id": "personal", "path": "users/alice"},
        {"id": "project-stats", "path": "projects/stats", "project": "stats"}]
    assert carol("GET", "spaces").json()["spaces"] == [{"id": "personal", "path": "users/carol"}]


def test_create_edit_version_restore_rename_delete(alice):
    put = alice("PUT", "personal/secret", json={"path": "db/postgres", "data": {"PGPASSWORD": VALUES["pg"]}})
    assert put.status_code == 200 and put.json()["version"] == 1
    listing = alice("GET", "personal/list").json()
    # (other tests, the first-steps training among them, keep secrets of alice's elsewhere)
    assert {"path": "db/", "name": "db"} in listing["folders"]
    assert not any(s["name"] == "postgres" for s in listing["secrets"])
    inside = alice("GET", "personal/list", params={"folder": "db"}).json()
    assert [s["name"] for s in inside["secrets"]] == ["postgres"]
    described = alice("GET", "personal/secret", params={"path": "db/postgres"})
    assert described.json()["keys"] == ["PGPASSWORD"] and VALUES["pg"] not in described.text
    assert alice("PUT", "personal/secret", json={"path": "db/postgres",
                                                 "data": {"PGPASSWORD": VALUES["pg2"], "PGUSER": "alice"}}).json()["version"] == 2
    value = alice("GET", "personal/value", params={"path": "db/postgres"})
    assert value.json()["data"] == {"PGPASSWORD": VALUES["pg2"], "PGUSER": "alice"}
    assert value.headers["Cache-Control"] == "no-store"
    old = alice("GET", "personal/value", params={"path": "db/postgres", "version": 1}).json()
    assert old["data"] == {"PGPASSWORD": VALUES["pg"]}
    assert alice("POST", "personal/restore", json={"path": "db/postgres", "version": 1}).json()["version"] == 3
    described = alice("GET", "personal/secret", params={"path": "db/postgres"}).json()
    assert described["version"] == 3 and [v["version"] for v in described["versions"]] == [3, 2, 1]
    assert alice("GET", "personal/value", params={"path": "db/postgres"}).json()["data"] == {"PGPASSWORD": VALUES["pg"]}
    assert alice("POST", "personal/rename", json={"source": "db/postgres", "target": "db/main"}).status_code == 200
    assert alice("GET", "personal/secret", params={"path": "db/postgres"}).status_code == 404
    assert alice("DELETE", "personal/secret", params={"path": "db/main"}).status_code == 200
    assert alice("GET", "personal/list", params={"folder": "db"}).json()["secrets"] == []


@pytest.mark.parametrize("body, words", [
    ({"path": "../bob/x", "data": {"A": "1"}}, ".."),
    ({"path": "a/../../x", "data": {"A": "1"}}, ".."),
    ({"path": "bad name!", "data": {"A": "1"}}, "not allowed"),
    ({"path": "ok", "data": {"1BAD": "1"}}, "not allowed"),
    ({"path": "ok", "data": {"MY-KEY": "1"}}, "not allowed"),
    ({"path": "ok", "data": {}}, "at least one key"),
    ({"path": "ok", "data": {"HUGE": "x" * (65 * 1024)}}, "too large"),
    ({"path": "ok", "data": {"N": 3}}, "must be text"),
])
def test_bad_input_is_refused_in_words_and_writes_nothing(alice, stack, body, words):
    r = alice("PUT", "personal/secret", json=body)
    assert r.status_code == 400 and words in r.json()["message"], r.text
    root = json.loads((stack.state_dir / "vault/init.json").read_text())["root_token"]
    import requests

    for listing in ("secret/metadata/users", "secret/metadata"):
        keys = requests.request("LIST", f"{stack.endpoints['vault_addr']}/v1/{listing}",
                                headers={"X-Vault-Token": root}, timeout=10).json().get("data", {}).get("keys", [])
        assert all(k in ("users/", "projects/", "alice/", "bob/", "carol/") for k in keys), keys


def test_isolation_between_users_and_projects(alice, bob, carol):
    alice("PUT", "personal/secret", json={"path": "api", "data": {"API_KEY": VALUES["api"]}})
    alice("PUT", "project-stats/secret", json={"path": "shared", "data": {"TEAM_TOKEN": VALUES["team"]}})
    # bob's API only reaches his own and his project's spaces
    assert bob("GET", "personal/secret", params={"path": "api"}).status_code == 404
    assert bob("GET", "project-stats/value", params={"path": "shared"}).json()["data"] == {"TEAM_TOKEN": VALUES["team"]}
    assert carol("GET", "project-stats/list").status_code == 404
    # and alice's server refuses him outright
    for method, path in (("GET", "personal/list"), ("GET", "personal/value?path=api"),
                         ("PUT", "personal/secret"), ("DELETE", "personal/secret?path=api")):
        r = bob.session.request(method, alice.base + "/" + path, timeout=30,
                                json={"path": "api", "data": {"X": "y"}})
        assert r.status_code in (403, 404) or "/hub/login" in r.url, (method, path, r.status_code)
        assert VALUES["api"] not in r.text
    assert alice("GET", "personal/value", params={"path": "api"}).json()["data"] == {"API_KEY": VALUES["api"]}


def test_marked_secrets_reach_new_kernels_and_the_next_server(alice, stack):
    alice("PUT", "personal/secret", json={"path": "api", "data": {"API_KEY": VALUES["api"]}})
    r = alice("POST", "personal/inject", json={"path": "api", "injected": True})
    assert r.json() == {"path": "api", "injected": True}
    listed = alice("GET", "personal/list").json()["secrets"]
    assert {"path": "api", "name": "api", "injected": True} in listed
    out = run_in_kernel(alice.session, stack.hub_url, "alice", "import os; print(os.environ.get('API_KEY'))")
    assert VALUES["api"] in out
    # restart the server: the spawner injects it
    hub = stack.hub_url
    xsrf = next(c.value for c in alice.session.cookies if c.name == "_xsrf" and c.path.startswith("/hub"))
    assert alice.session.delete(f"{hub}/hub/api/users/alice/server", headers={"X-XSRFToken": xsrf},
                                timeout=60).status_code in (202, 204)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            stack.server_env("alice")
            time.sleep(0.3)
        except AssertionError:
            break
    # the spawn page says which secrets the server will get: names, never values
    form = alice.session.get(f"{hub}/hub/spawn/alice", timeout=60).text
    assert "Secrets injected as variables when Vault is on: API_KEY." in form
    assert VALUES["api"] not in form
    start_server(alice.session, hub, "alice")
    assert stack.server_env("alice")["API_KEY"] == VALUES["api"]
    assert stack.server_env("alice")["DATALAB_INJECTED_KEYS"] == "API_KEY"
    unmark = alice("POST", "personal/inject", json={"path": "api", "injected": False})
    assert unmark.json().get("injected") is False, unmark.text
    out = run_in_kernel(alice.session, stack.hub_url, "alice", "import os; print(os.environ.get('API_KEY'))")
    assert "None" in out


def test_the_servers_vault_token_is_renewable_and_errors_are_words(stack, alice):
    import requests

    from jupyterhub_datalab.secrets import Secrets, SecretsError

    env = stack.server_env("alice")
    secrets_ = Secrets(env)
    before = requests.get(f"{env['VAULT_ADDR']}/v1/auth/token/lookup-self", timeout=10,
                          headers={"X-Vault-Token": env["VAULT_TOKEN"]}).json()["data"]["ttl"]
    time.sleep(2)
    assert secrets_.renew_token() >= before - 1
    # an expired or revoked token: the service logs in again with a fresh identity token
    stale = Secrets({**env, "VAULT_TOKEN": "s.revoked-or-expired"})
    assert stale.spaces() and isinstance(stale.list("personal")["secrets"], list)
    assert stale.token != "s.revoked-or-expired"
    down = Secrets({**env, "VAULT_ADDR": "http://127.0.0.1:9"})
    with pytest.raises(SecretsError) as info:
        down.list("personal")
    assert info.value.status == 503 and "cannot be reached" in info.value.message


def test_a_notebook_reads_its_secret_with_hvac_and_no_configuration(alice, stack):
    alice("PUT", "personal/secret", json={"path": "nb/api", "data": {"TOKEN": VALUES["api"]}})
    out = run_in_kernel(alice.session, stack.hub_url, "alice", """
import hvac, os
client = hvac.Client()
path = os.environ["VAULT_TOP_DIR"] + "/nb/api"
print(client.secrets.kv.v2.read_secret_version(mount_point=os.environ["VAULT_MOUNT"], path=path,
                                               raise_on_deleted_version=True)["data"]["data"]["TOKEN"])
try:
    client.secrets.kv.v2.read_secret_version(mount_point="secret", path="users/bob/anything",
                                             raise_on_deleted_version=True)
except hvac.exceptions.Forbidden:
    print("bob forbidden")
""")
    assert VALUES["api"] in out and "bob forbidden" in out


def test_no_secret_value_is_written_to_any_log(stack, alice):
    """Everything this module stored in Vault: none of it in the stack's logs."""
    logs = stack.state_dir / "logs"
    for path in logs.iterdir():
        text = path.read_text(errors="replace")
        for value in VALUES.values():
            assert value not in text, f"a secret value is in {path}"
