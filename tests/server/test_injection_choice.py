"""Injection only by each person's own choice. Seen before: a member marked a project
secret "inject" and its keys entered every member's servers; with `HTTP_PROXY` among them
he received another member's panel requests, her Vault token included."""

import secrets

import pytest

from ..stackctl import run_in_kernel

API = "secrets"  # what alice, bob and carol call (tests/clients.py)

TOKEN = f"team-{secrets.token_hex(8)}"


def kernel_env(stack, client, name):
    """The variable as a new kernel of the client's server sees it (repr, 'None' if unset)."""
    code = f"import os; print(repr(os.environ.get({name!r})))"
    return run_in_kernel(client.session, stack.hub_url, client.user, code).strip()


def refresh(client):
    """Any secret write makes the server re-read what it injects into new kernels."""
    assert client("PUT", "personal/secret", json={"path": "touch", "data": {"TOUCHED": "1"}}).status_code == 200


def listed(client, path):
    return next(s for s in client("GET", "project-stats/list").json()["secrets"] if s["path"] == path)


def test_a_members_mark_on_a_project_secret_reaches_only_their_own_servers(stack, alice, bob):
    path = f"team-{secrets.token_hex(4)}"
    assert bob("PUT", "project-stats/secret", json={"path": path, "data": {"TEAM_TOKEN": TOKEN}}).status_code == 200
    try:
        marked = bob("POST", "project-stats/inject", json={"path": path, "injected": True})
        assert marked.status_code == 200 and marked.json()["injected"] is True, marked.text
        assert listed(bob, path)["injected"] and not listed(alice, path)["injected"]
        assert TOKEN in kernel_env(stack, bob, "TEAM_TOKEN")
        refresh(alice)
        assert kernel_env(stack, alice, "TEAM_TOKEN") == "None", "bob's choice entered alice's server"

        # alice chooses it for herself; bob then adds a proxy to the shared secret
        assert alice("POST", "project-stats/inject", json={"path": path, "injected": True}).status_code == 200
        assert bob("PUT", "project-stats/secret", json={"path": path, "data": {
            "TEAM_TOKEN": TOKEN, "HTTP_PROXY": "http://127.0.0.1:9", "PIP_INDEX_URL": "http://127.0.0.1:9/"}}
        ).status_code == 200
        refresh(alice)
        assert TOKEN in kernel_env(stack, alice, "TEAM_TOKEN")
        assert kernel_env(stack, alice, "HTTP_PROXY") == "None"
        assert kernel_env(stack, alice, "PIP_INDEX_URL") == "None"
        assert alice("GET", "personal/list").status_code == 200  # her panel still reaches Vault
        assert alice("POST", "project-stats/inject", json={"path": path, "injected": False}).json()["injected"] is False
        assert not listed(alice, path)["injected"] and listed(bob, path)["injected"]
    finally:
        bob("DELETE", "project-stats/secret", params={"path": path})
    refresh(bob)
    assert kernel_env(stack, bob, "TEAM_TOKEN") == "None"  # deleted: it stops flowing


@pytest.mark.parametrize("key", ["HTTP_PROXY", "https_proxy", "NO_PROXY", "PATH", "LD_PRELOAD",
                                 "PYTHONPATH", "PIP_INDEX_URL", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE",
                                 "GIT_SSH_COMMAND", "AWS_SECRET_ACCESS_KEY", "JUPYTERHUB_API_TOKEN"])
def test_names_that_change_how_programs_run_cannot_be_marked(alice, key):
    assert alice("PUT", "personal/secret", json={"path": "runs", "data": {key: "x", "FINE": "y"}}).status_code == 200
    try:
        r = alice("POST", "personal/inject", json={"path": "runs", "injected": True})
        assert r.status_code == 400 and key in r.json()["message"], r.text
        assert "FINE" not in r.json()["message"]
        fr = alice("POST", "personal/inject", json={"path": "runs", "injected": True},
                   headers={"Accept-Language": "fr-FR,fr;q=0.9"})
        assert fr.status_code == 400 and fr.json()["message"].startswith("Impossible d'injecter"), fr.text
        assert alice("GET", "personal/secret", params={"path": "runs"}).json()["injected"] is False
    finally:
        alice("DELETE", "personal/secret", params={"path": "runs"})


def test_injected_must_be_a_boolean(alice):
    alice("PUT", "personal/secret", json={"path": "typed", "data": {"FINE": "y"}})
    try:
        r = alice("POST", "personal/inject", json={"path": "typed", "injected": "false"})
        assert r.status_code == 400, r.text
        assert alice("GET", "personal/secret", params={"path": "typed"}).json()["injected"] is False
    finally:
        alice("DELETE", "personal/secret", params={"path": "typed"})
