"""End to end over plain HTTP: `datalab up`, OIDC login as alice, her JupyterLab."""

import requests

from ..stackctl import oidc_login, page_config, start_server


def test_endpoints_file_describes_the_stack(stack):
    e = stack.endpoints
    assert e["hub_url"] == f"http://127.0.0.1:{stack.port}/"
    for key in ("oidc_issuer", "s3_endpoint", "vault_addr"):
        assert e[key].startswith("http://127.0.0.1:")
    names = {login["username"]: login["groups"] for login in e["demo_logins"]}
    assert names["alice"] == ["stats"] and names["bob"] == ["stats"] and names["carol"] == []
    assert (stack.state_dir / "endpoints.json").stat().st_mode & 0o077 == 0


def test_every_component_answers_on_loopback(stack):
    e = stack.endpoints
    discovery = requests.get(e["oidc_issuer"] + "/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"] == e["oidc_issuer"]
    assert requests.get(e["s3_endpoint"] + "/healthz", timeout=10).status_code == 200
    health = requests.get(e["vault_addr"] + "/v1/sys/health", timeout=10).json()
    assert health["initialized"] and not health["sealed"]
    for proc in stack.process_tree():
        for conn in proc.net_connections(kind="inet"):
            if conn.status == "LISTEN":
                assert conn.laddr.ip in ("127.0.0.1", "::1"), (proc.name(), conn.laddr)


def test_wrong_password_is_refused_by_the_provider(stack):
    session = oidc_login(stack.hub_url, "alice", "not-her-password")
    assert session.last_response.status_code == 401
    assert "incorrect" in session.last_response.text
    assert "jupyterhub-session-id" not in session.cookies and not any(
        c.name.startswith("jupyterhub-hub-login") for c in session.cookies
    )


def test_alice_logs_in_and_gets_jupyterlab_with_the_datalab_extension(stack):
    session = oidc_login(stack.hub_url, "alice", stack.password("alice"))
    r = session.last_response
    assert r.status_code == 200 and ("/hub/" in r.url or "/user/alice/" in r.url), (r.status_code, r.url)
    lab = start_server(session, stack.hub_url, "alice")
    names = [ext["name"] for ext in page_config(lab.text)["federated_extensions"]]
    assert "jupyterhub-datalab" in names
    # no "Jupyter news" prompt calling out to jupyter.org
    assert "@jupyterlab/apputils-extension:announcements" in page_config(lab.text)["disabledExtensions"]
    ext = next(x for x in page_config(lab.text)["federated_extensions"] if x["name"] == "jupyterhub-datalab")
    entry = session.get(f"{stack.hub_url}/user/alice/lab/extensions/jupyterhub-datalab/{ext['load']}", timeout=30)
    assert entry.status_code == 200 and "jupyterhub-datalab" in entry.text
    info = session.get(f"{stack.hub_url}/user/alice/datalab/api/info", timeout=30)
    assert info.status_code == 200 and info.json()["user"] == "alice"
    # groups from the provider became JupyterHub groups
    assert (stack.state_dir / "users/alice").is_dir()


def test_bob_cannot_reach_alices_server(stack):
    alice = oidc_login(stack.hub_url, "alice", stack.password("alice"))
    start_server(alice, stack.hub_url, "alice")
    bob = oidc_login(stack.hub_url, "bob", stack.password("bob"))
    r = bob.get(f"{stack.hub_url}/user/alice/datalab/api/info", timeout=30)
    assert r.status_code == 403, (r.status_code, r.url)
    assert "alice" not in r.text
    lab = bob.get(f"{stack.hub_url}/user/alice/lab", timeout=30)
    assert lab.status_code == 403 and "jupyter-config-data" not in lab.text
    anonymous = requests.get(f"{stack.hub_url}/user/alice/datalab/api/info", timeout=30)
    assert anonymous.status_code == 403 or anonymous.url.startswith(f"{stack.hub_url}/hub/login")
    assert "alice" not in anonymous.text or "/hub/login" in anonymous.url


def test_status_prints_the_running_stack(stack):
    import json
    import subprocess

    from ..stackctl import DATALAB

    args = [*DATALAB, "status", "--state-dir", str(stack.state_dir)]
    text = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert text.returncode == 0
    assert f"Datalab is ready: {stack.hub_url}/" in text.stdout
    assert stack.password("carol") in text.stdout
    as_json = subprocess.run([*args, "--json"], capture_output=True, text=True, timeout=60)
    assert json.loads(as_json.stdout) == stack.endpoints
