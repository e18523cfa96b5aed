"""Once its Vault token expires, a user's server logs in again with the role and JWT mount
the administrator configured. Seen before: the re-login used the defaults (``datalab-user``
on ``jwt``), so on any Vault configured otherwise secrets failed after the first token."""

import json

import requests

from jupyterhub_datalab.secrets import Secrets, SecretsError

from ..clients import Client

MOUNT, ROLE = "jwt-agents", "agents"


def test_the_relogin_uses_the_configured_role_and_mount(stack):
    Client(stack, "alice")  # alice's server runs: its env holds her hub token
    vault = stack.server_env("alice")["VAULT_ADDR"]
    root = {"X-Vault-Token": json.loads((stack.state_dir / "vault/init.json").read_text())["root_token"]}
    # a second JWT mount and role, as another platform would name them
    config = requests.get(f"{vault}/v1/auth/jwt/config", headers=root, timeout=10).json()["data"]
    role = requests.get(f"{vault}/v1/auth/jwt/role/datalab-user", headers=root, timeout=10).json()["data"]
    r = requests.post(f"{vault}/v1/sys/auth/{MOUNT}", json={"type": "jwt"}, headers=root, timeout=10)
    assert r.status_code in (204, 400), r.text  # 400: enabled by an earlier run of this stack
    assert requests.post(f"{vault}/v1/auth/{MOUNT}/config", headers=root, timeout=10, json={
        k: v for k, v in config.items() if v not in (None, "", [])}).status_code == 204
    assert requests.post(f"{vault}/v1/auth/{MOUNT}/role/{ROLE}", json=role, headers=root,
                         timeout=10).status_code == 204
    env = dict(stack.server_env("alice"), VAULT_TOKEN="an-expired-token",
               DATALAB_VAULT_ROLE=ROLE, DATALAB_VAULT_JWT_MOUNT=MOUNT)
    secrets = Secrets(env)
    try:
        secrets.list("personal")
    except SecretsError:
        pass  # the policies may name the default mount; what matters is how it logged in
    assert secrets.token != "an-expired-token", "no new token: the re-login failed"
    me = requests.get(f"{vault}/v1/auth/token/lookup-self", headers={"X-Vault-Token": secrets.token},
                      timeout=10).json()["data"]
    assert me["path"] == f"auth/{MOUNT}/login" and me["meta"].get("role") == ROLE, me


def test_the_server_is_told_its_role_and_mount(stack):
    env = stack.server_env("alice")
    assert env["DATALAB_VAULT_ROLE"] == "datalab-user" and env["DATALAB_VAULT_JWT_MOUNT"] == "jwt"
