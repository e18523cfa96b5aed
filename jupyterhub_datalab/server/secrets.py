"""Secrets service of the user's server: the user's Vault KV v2 paths.

Calls run with the owner's own Vault token (from the spawn, renewed, or re-obtained
from the hub with a fresh identity token), so Vault enforces who reaches what; this
module adds which spaces exist, which names are allowed, sizes, and errors in words.
Values are only returned when asked for one secret, never in listings, never logged.
"""

import os
import re
import time

import requests

from ..credentials import CredentialsError, vault_login
from .errors import ServiceError
from ..tokens import TokensUnavailable, user_tokens

SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
MAX_VALUE_BYTES = 64 * 1024
MAX_SECRET_BYTES = 512 * 1024
INJECT_FLAG = "datalab-inject"
RESERVED_PREFIXES = ("AWS_", "VAULT_", "JUPYTERHUB_", "DATALAB_", "JPY_")


class SecretsError(ServiceError):
    """Something about Vault or a secret's name or content, said in words."""


def check_path(path, folder=False):
    """A secret path (or folder) relative to a space, or a SecretsError in words."""
    if not isinstance(path, str):
        raise SecretsError(400, "A secret name is required.")
    stripped = path.strip("/")
    if not stripped:
        if folder:
            return ""
        raise SecretsError(400, "A secret name is required.")
    for part in stripped.split("/"):
        if part in (".", ".."):
            raise SecretsError(400, "Secret names cannot contain '.' or '..' path segments.")
        if not SEGMENT.match(part):
            raise SecretsError(400, f"{part[:40]!r} is not allowed: use letters, digits, '.', '_' "
                                    "and '-' (starting with a letter or digit), at most 100 per segment.")
    return stripped + ("/" if folder else "")


def check_data(data):
    """Key/value pairs of a secret: keys usable as environment variables, bounded sizes."""
    if not isinstance(data, dict) or not data:
        raise SecretsError(400, "A secret needs at least one key and value.")
    total = 0
    for key, value in data.items():
        if not isinstance(key, str) or not KEY.match(key):
            raise SecretsError(400, f"Key {str(key)[:40]!r} is not allowed: use letters, digits and "
                                    "'_', not starting with a digit (it becomes an environment variable).")
        if not isinstance(value, str):
            raise SecretsError(400, f"The value of {key} must be text.")
        size = len(value.encode("utf-8"))
        if size > MAX_VALUE_BYTES:
            raise SecretsError(400, f"The value of {key} is too large: at most 64 KB.")
        total += size
    if total > MAX_SECRET_BYTES:
        raise SecretsError(400, "This secret is too large: at most 512 KB in all.")
    return data


class Secrets:
    """The owner's Vault spaces."""

    def __init__(self, env=None):
        env = env if env is not None else os.environ
        self.env = env
        self.addr = env.get("VAULT_ADDR", "").rstrip("/")
        self.mount = env.get("VAULT_MOUNT", "secret")
        self.token = env.get("VAULT_TOKEN", "")
        self._checked = 0.0

    @property
    def configured(self):
        return bool(self.addr and self.token)

    def spaces(self):
        spaces = []
        personal = self.env.get("VAULT_PERSONAL_PATH", "")
        if personal.startswith(self.mount + "/"):
            spaces.append({"id": "personal", "path": personal[len(self.mount) + 1:]})
        for var in sorted(self.env):
            if var.startswith("VAULT_PROJECT_PATH_"):
                path = self.env[var][len(self.mount) + 1:]
                spaces.append({"id": "project-" + path.rsplit("/", 1)[-1], "path": path,
                               "project": path.rsplit("/", 1)[-1]})
        return spaces

    def _base(self, space_id):
        for s in self.spaces():
            if s["id"] == space_id:
                return s["path"]
        raise SecretsError(404, f"No secret space named {str(space_id)[:40]!r} for you.")

    # -- transport ------------------------------------------------------------

    def _call(self, method, path, body=None, retry=True):
        if not self.configured:
            raise SecretsError(503, "No Vault token in this server: secrets are not configured.")
        try:
            r = requests.request(method, f"{self.addr}/v1/{path}", json=body, timeout=15,
                                 headers={"X-Vault-Token": self.token})
        except requests.RequestException:
            raise SecretsError(503, "Vault cannot be reached right now; try again in a moment.") from None
        if r.status_code == 403 and retry and self._relogin():
            return self._call(method, path, body, retry=False)
        if r.status_code == 503:
            raise SecretsError(503, "Vault is sealed: ask an administrator to unseal it.")
        if r.status_code == 403:
            raise SecretsError(403, "Permission denied for this secret.")
        if r.status_code == 404:
            return None
        if r.status_code >= 400:
            raise SecretsError(502, f"Vault refused the request (HTTP {r.status_code}).")
        return r.json() if r.content else {}

    def _relogin(self):
        """The token expired or was revoked: get a new one with a fresh identity token."""
        if time.time() - self._checked < 5:
            return False
        self._checked = time.time()
        try:
            identity = user_tokens(self.env.get("JUPYTERHUB_API_URL"),
                                   self.env.get("JUPYTERHUB_API_TOKEN"))["identity_token"]
            self.token = vault_login(identity, self.addr)["VAULT_TOKEN"]
        except (TokensUnavailable, CredentialsError, KeyError):
            return False
        return True

    def renew_token(self):
        """Extend the server's own token (the one its kernels hold) by its TTL.

        Returns the new TTL in seconds; the token lives at most the role's max TTL.
        """
        answer = self._call("POST", "auth/token/renew-self", {}, retry=False)
        return int(((answer or {}).get("auth") or {}).get("lease_duration") or 0)

    # -- operations -------------------------------------------------------------

    def list(self, space_id, folder=""):
        base = self._base(space_id)
        folder = check_path(folder, folder=True)
        answer = self._call("LIST", f"{self.mount}/metadata/{base}/{folder}".rstrip("/"))
        keys = (answer or {}).get("data", {}).get("keys", [])
        folders = sorted(k for k in keys if k.endswith("/"))
        secrets = sorted(k for k in keys if not k.endswith("/"))
        return {"space": space_id, "folder": folder,
                "folders": [{"path": folder + k, "name": k.rstrip("/")} for k in folders],
                "secrets": [{"path": folder + k, "name": k,
                             "injected": self._is_injected(base, folder + k)} for k in secrets]}

    def _is_injected(self, base, path):
        meta = self._call("GET", f"{self.mount}/metadata/{base}/{path}")
        custom = ((meta or {}).get("data") or {}).get("custom_metadata") or {}
        return custom.get(INJECT_FLAG) == "true"

    def describe(self, space_id, path):
        """Keys and versions of a secret, values hidden."""
        base, path = self._base(space_id), check_path(path)
        meta = self._call("GET", f"{self.mount}/metadata/{base}/{path}")
        if meta is None:
            raise SecretsError(404, "This secret does not exist (any more).")
        data = self._call("GET", f"{self.mount}/data/{base}/{path}")
        keys = sorted(((data or {}).get("data") or {}).get("data") or {})
        meta = meta["data"]
        versions = [{"version": int(v), "created_time": info["created_time"],
                     "deleted": bool(info.get("deletion_time")) or info.get("destroyed", False)}
                    for v, info in sorted(meta["versions"].items(), key=lambda kv: -int(kv[0]))]
        custom = meta.get("custom_metadata") or {}
        return {"path": path, "keys": keys, "version": meta["current_version"],
                "versions": versions, "injected": custom.get(INJECT_FLAG) == "true"}

    def read(self, space_id, path, version=None):
        base, path = self._base(space_id), check_path(path)
        suffix = f"?version={int(version)}" if version else ""
        data = self._call("GET", f"{self.mount}/data/{base}/{path}{suffix}")
        if not data or not (data.get("data") or {}).get("data"):
            raise SecretsError(404, "This secret (or this version) does not exist.")
        return {"path": path, "data": data["data"]["data"],
                "version": data["data"]["metadata"]["version"]}

    def write(self, space_id, path, data, cas=None):
        base, path = self._base(space_id), check_path(path)
        body = {"data": check_data(data)}
        if cas is not None:
            body["options"] = {"cas": int(cas)}
        answer = self._call("POST", f"{self.mount}/data/{base}/{path}", body)
        return {"path": path, "version": answer["data"]["version"]}

    def delete(self, space_id, path):
        """Delete a secret and all its versions."""
        base, path = self._base(space_id), check_path(path)
        if self._call("GET", f"{self.mount}/metadata/{base}/{path}") is None:
            raise SecretsError(404, "This secret does not exist (any more).")
        self._call("DELETE", f"{self.mount}/metadata/{base}/{path}")
        return {"deleted": path}

    def rename(self, space_id, source, target):
        current = self.read(space_id, source)
        target = check_path(target)
        base = self._base(space_id)
        if self._call("GET", f"{self.mount}/metadata/{base}/{target}") is not None:
            raise SecretsError(409, f"A secret named {target} already exists.")
        injected = self.describe(space_id, source)["injected"]
        self.write(space_id, target, current["data"])
        if injected:
            self.set_injected(space_id, target, True)
        self.delete(space_id, source)
        return {"path": target}

    def restore(self, space_id, path, version):
        """Make an older version the current one (as a new version)."""
        old = self.read(space_id, path, version)
        return self.write(space_id, path, old["data"])

    def set_injected(self, space_id, path, injected):
        """Mark (or unmark) a secret whose keys become environment variables."""
        base, path = self._base(space_id), check_path(path)
        meta = self._call("GET", f"{self.mount}/metadata/{base}/{path}")
        if meta is None:
            raise SecretsError(404, "This secret does not exist (any more).")
        custom = dict(meta["data"].get("custom_metadata") or {})
        if injected:
            custom[INJECT_FLAG] = "true"
        else:
            custom.pop(INJECT_FLAG, None)
        self._call("POST", f"{self.mount}/metadata/{base}/{path}", {"custom_metadata": custom})
        return {"path": path, "injected": bool(injected)}

    def injected(self, space_id, folder=""):
        """Paths of the marked secrets of a space (walks its folders)."""
        base = self._base(space_id)
        found = []
        pending = [folder]
        while pending:
            current = pending.pop()
            answer = self._call("LIST", f"{self.mount}/metadata/{base}/{current}".rstrip("/"))
            for key in (answer or {}).get("data", {}).get("keys", []):
                if key.endswith("/"):
                    pending.append(current + key)
                    continue
                if self._is_injected(base, current + key):
                    found.append(current + key)
        return sorted(found)

    def injected_environment(self):
        """The keys and values of every marked secret, projects then personal (which wins).

        Names the platform sets itself (credentials, hub tokens) are never overridden.
        """
        env = {}
        for space in reversed(self.spaces()):
            for path in self.injected(space["id"]):
                env.update(self.read(space["id"], path)["data"])
        return {k: v for k, v in env.items() if not k.startswith(RESERVED_PREFIXES)}

