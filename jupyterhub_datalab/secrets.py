"""The person's Vault KV v2 spaces (personal and projects), framework-free: the Secrets
panel's service in the user's server, and what the hub and the datalab service read to
inject the secrets a person marked (:func:`injected_secrets`), so it lives in the core.

Calls run with the owner's own Vault token (from the spawn, renewed, or re-obtained
from the hub with a fresh identity token), so Vault enforces who reaches what; this
module adds which spaces exist, which names are allowed, sizes, and errors in words.
Values are only returned when asked for one secret, never in listings, never logged.
"""

import json
import os
import re
import time

import requests

from .credentials import CredentialsError, vault_login
from .envnames import injectable, refusal
from .tokens import TokensUnavailable, user_tokens
from .messages import DatalabError

# bounded waits, in seconds: a hung Vault answers in words, never minutes
VAULT_CONNECT_TIMEOUT = 3
VAULT_READ_TIMEOUT = 10

SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
MAX_VALUE_BYTES = 64 * 1024
MAX_SECRET_BYTES = 512 * 1024
INJECT_FLAG = "datalab-inject"
# In the personal space, out of reach of the panel's names (segments start with a letter
# or digit): the project secrets this person chose to inject into their own servers.
# A project secret's own metadata is writable by every member, so it cannot say whose
# servers get it (seen: a member marked a secret and it entered everyone's servers).
OPT_INS = ".datalab/injected-project-secrets"


class SecretsError(DatalabError):
    """Something about Vault or a secret's name or content, said in words."""


def check_path(path, folder=False):
    """A secret path (or folder) relative to a space, or a SecretsError in words."""
    if not isinstance(path, str):
        raise SecretsError(400, "A secret name is required.", "Un nom de secret est requis.")
    stripped = path.strip("/")
    if not stripped:
        if folder:
            return ""
        raise SecretsError(400, "A secret name is required.", "Un nom de secret est requis.")
    for part in stripped.split("/"):
        if part in (".", ".."):
            raise SecretsError(400, "Secret names cannot contain '.' or '..' path segments.",
                               "Les noms de secrets ne peuvent pas contenir de segments « . » ou « .. ».")
        if not SEGMENT.match(part):
            raise SecretsError(400, f"{part[:40]!r} is not allowed: use letters, digits, '.', '_' "
                                    "and '-' (starting with a letter or digit), at most 100 per segment.",
                               f"{part[:40]!r} n'est pas permis : utilisez lettres, chiffres, « . », « _ » "
                               "et « - » (en commençant par une lettre ou un chiffre), 100 au plus par segment.")
    return stripped + ("/" if folder else "")


def check_data(data):
    """Key/value pairs of a secret: keys usable as environment variables, bounded sizes."""
    if not isinstance(data, dict) or not data:
        raise SecretsError(400, "A secret needs at least one key and value.",
                           "Un secret demande au moins une clé et sa valeur.")
    total = 0
    for key, value in data.items():
        if not isinstance(key, str) or not KEY.match(key):
            raise SecretsError(400, f"Key {str(key)[:40]!r} is not allowed: use letters, digits and "
                                    "'_', not starting with a digit (it becomes an environment variable).",
                               f"La clé {str(key)[:40]!r} n'est pas permise : utilisez lettres, chiffres et "
                               "« _ », sans commencer par un chiffre (elle devient une variable d'environnement).")
        if not isinstance(value, str):
            raise SecretsError(400, f"The value of {key} must be text.",
                               f"La valeur de {key} doit être du texte.")
        size = len(value.encode("utf-8"))
        if size > MAX_VALUE_BYTES:
            raise SecretsError(400, f"The value of {key} is too large: at most 64 KB.",
                               f"La valeur de {key} est trop grande : 64 Ko au plus.")
        total += size
    if total > MAX_SECRET_BYTES:
        raise SecretsError(400, "This secret is too large: at most 512 KB in all.",
                           "Ce secret est trop grand : 512 Ko au plus en tout.")
    return data


class Secrets:
    """The owner's Vault spaces."""

    def __init__(self, env=None, vault_role=None, vault_jwt_mount=None):
        env = env if env is not None else os.environ
        self.env = env
        # the admin's role and JWT mount for the re-login (DatalabServerApp's settings)
        self.vault_role = vault_role or env.get("DATALAB_VAULT_ROLE") or "datalab-user"
        self.vault_jwt_mount = vault_jwt_mount or env.get("DATALAB_VAULT_JWT_MOUNT") or "jwt"
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
        raise SecretsError(404, f"No secret space named {str(space_id)[:40]!r} for you.",
                           f"Vous n'avez pas d'espace de secrets nommé {str(space_id)[:40]!r}.")

    # -- transport ------------------------------------------------------------

    def _call(self, method, path, body=None, retry=True):
        if not self.configured:
            raise SecretsError(503, "No Vault token in this server: secrets are not configured.",
                               "Ce serveur n'a pas de jeton Vault : les secrets ne sont pas configurés.")
        try:
            r = requests.request(method, f"{self.addr}/v1/{path}", json=body,
                                 timeout=(VAULT_CONNECT_TIMEOUT, VAULT_READ_TIMEOUT),
                                 headers={"X-Vault-Token": self.token})
        except requests.ReadTimeout:
            if method in ("GET", "LIST"):
                raise SecretsError(503, f"Vault did not answer within {VAULT_READ_TIMEOUT} s; try again "
                                        "in a moment.",
                                   f"Vault n'a pas répondu en {VAULT_READ_TIMEOUT} s ; réessayez dans "
                                   "un instant.") from None
            raise SecretsError(504, "Vault did not answer in time: the change may have been saved "
                                    "anyway. Refresh to check before trying again.",
                               "Vault n'a pas répondu à temps : la modification est peut-être "
                               "enregistrée quand même. Actualisez pour le vérifier avant de "
                               "réessayer.") from None
        except requests.RequestException:
            raise SecretsError(503, "Vault cannot be reached right now; try again in a moment.",
                               "Vault est injoignable pour le moment ; réessayez dans un instant.") from None
        if r.status_code == 403 and retry and self._relogin():
            return self._call(method, path, body, retry=False)
        if r.status_code == 503:
            raise SecretsError(503, "Vault is sealed: ask an administrator to unseal it.",
                               "Vault est scellé : demandez à un administrateur de le desceller.")
        if r.status_code == 403:
            raise SecretsError(403, "Permission denied for this secret.",
                               "Permission refusée pour ce secret.")
        if r.status_code == 404:
            return None
        if r.status_code >= 400:
            raise SecretsError(502, f"Vault refused the request (HTTP {r.status_code}).",
                               f"Vault a refusé la demande (HTTP {r.status_code}).")
        return r.json() if r.content else {}

    def _relogin(self):
        """The token expired or was revoked: get a new one with a fresh identity token."""
        if time.time() - self._checked < 5:
            return False
        self._checked = time.time()
        try:
            identity = user_tokens(self.env.get("JUPYTERHUB_API_URL"),
                                   self.env.get("JUPYTERHUB_API_TOKEN"))["identity_token"]
            self.token = vault_login(identity, self.addr,
                                     role=self.vault_role, mount=self.vault_jwt_mount)["VAULT_TOKEN"]
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
        keys = [k for k in (answer or {}).get("data", {}).get("keys", []) if not k.startswith(".")]
        folders = sorted(k for k in keys if k.endswith("/"))
        secrets = sorted(k for k in keys if not k.endswith("/"))
        opted = self._opt_ins() if space_id != "personal" else None  # one read per listing
        return {"space": space_id, "folder": folder,
                "folders": [{"path": folder + k, "name": k.rstrip("/")} for k in folders],
                "secrets": [{"path": folder + k, "name": k,
                             "injected": self._is_injected(space_id, base, folder + k, opted)}
                            for k in secrets]}

    def _is_injected(self, space_id, base, path, opted=None):
        """Whether this person injects the secret: the flag of their own personal secret,
        or their own opt-in for a project secret (never a flag another member set)."""
        if space_id != "personal":
            return f"{space_id}/{path}" in (self._opt_ins() if opted is None else opted)
        meta = self._call("GET", f"{self.mount}/metadata/{base}/{path}")
        custom = ((meta or {}).get("data") or {}).get("custom_metadata") or {}
        return custom.get(INJECT_FLAG) == "true"

    def _opt_ins_path(self):
        personal = next((s["path"] for s in self.spaces() if s["id"] == "personal"), None)
        return f"{self.mount}/data/{personal}/{OPT_INS}" if personal else None

    def _opt_ins(self):
        """``{"project-<name>/<path>", ...}``: the project secrets this person injects."""
        path = self._opt_ins_path()
        answer = self._call("GET", path) if path else None
        raw = (((answer or {}).get("data") or {}).get("data") or {}).get("paths", "[]")
        try:
            paths = json.loads(raw)
        except ValueError:
            return set()
        return {p for p in paths if isinstance(p, str)} if isinstance(paths, list) else set()

    def _save_opt_ins(self, paths):
        path = self._opt_ins_path()
        if path is None:
            raise SecretsError(403, "Injecting a project secret needs your personal secret space.",
                               "Injecter un secret de projet demande votre espace de secrets personnel.")
        self._call("POST", path, {"data": {"paths": json.dumps(sorted(paths))}})

    def describe(self, space_id, path):
        """Keys and versions of a secret, values hidden."""
        base, path = self._base(space_id), check_path(path)
        meta = self._call("GET", f"{self.mount}/metadata/{base}/{path}")
        if meta is None:
            raise SecretsError(404, "This secret does not exist (any more).",
                               "Ce secret n'existe pas (ou plus).")
        data = self._call("GET", f"{self.mount}/data/{base}/{path}")
        keys = sorted(((data or {}).get("data") or {}).get("data") or {})
        meta = meta["data"]
        versions = [{"version": int(v), "created_time": info["created_time"],
                     "deleted": bool(info.get("deletion_time")) or info.get("destroyed", False)}
                    for v, info in sorted(meta["versions"].items(), key=lambda kv: -int(kv[0]))]
        return {"path": path, "keys": keys, "version": meta["current_version"],
                "versions": versions, "injected": self._is_injected(space_id, base, path)}

    def read(self, space_id, path, version=None):
        base, path = self._base(space_id), check_path(path)
        suffix = f"?version={int(version)}" if version else ""
        data = self._call("GET", f"{self.mount}/data/{base}/{path}{suffix}")
        if not data or not (data.get("data") or {}).get("data"):
            raise SecretsError(404, "This secret (or this version) does not exist.",
                               "Ce secret (ou cette version) n'existe pas.")
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
            raise SecretsError(404, "This secret does not exist (any more).",
                               "Ce secret n'existe pas (ou plus).")
        self._call("DELETE", f"{self.mount}/metadata/{base}/{path}")
        self._forget_opt_in(space_id, path)
        return {"deleted": path}

    def _forget_opt_in(self, space_id, path):
        """A project secret deleted (or renamed) by this person leaves no choice behind."""
        if space_id != "personal":
            opted = self._opt_ins()
            if f"{space_id}/{path}" in opted:
                self._save_opt_ins(opted - {f"{space_id}/{path}"})

    def rename(self, space_id, source, target):
        current = self.read(space_id, source)
        target = check_path(target)
        base = self._base(space_id)
        if self._call("GET", f"{self.mount}/metadata/{base}/{target}") is not None:
            raise SecretsError(409, f"A secret named {target} already exists.",
                               f"Un secret nommé {target} existe déjà.")
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
        """Mark (or unmark) a secret whose keys become variables of this person's servers.

        A personal secret carries the mark itself; for a project secret the choice is kept
        in the person's own space, so no member decides for another. Keys whose names change
        how programs run cannot be injected at all (``envnames``): marking says which."""
        if not isinstance(injected, bool):
            raise SecretsError(400, "'injected' must be true or false.", "« injected » doit valoir true ou false.")
        base, path = self._base(space_id), check_path(path)
        meta = self._call("GET", f"{self.mount}/metadata/{base}/{path}")
        if meta is None:
            raise SecretsError(404, "This secret does not exist (any more).",
                               "Ce secret n'existe pas (ou plus).")
        if injected:
            data = self._call("GET", f"{self.mount}/data/{base}/{path}")
            keys = sorted(((data or {}).get("data") or {}).get("data") or {})
            refused = [(k, refusal(k)) for k in keys if refusal(k)]
            if refused:
                raise SecretsError(
                    400, "Cannot inject this secret: " + "; ".join(f"{k} {why[0]}" for k, why in refused)
                    + ". Rename these keys, or read the secret from your code instead.",
                    "Impossible d'injecter ce secret : " + " ; ".join(f"{k} {why[1]}" for k, why in refused)
                    + ". Renommez ces clés, ou lisez le secret depuis votre code.")
        if space_id != "personal":
            opted = self._opt_ins()
            key = f"{space_id}/{path}"
            if (key in opted) != injected:
                self._save_opt_ins(opted | {key} if injected else opted - {key})
            return {"path": path, "injected": injected}
        custom = dict(meta["data"].get("custom_metadata") or {})
        if injected:
            custom[INJECT_FLAG] = "true"
        else:
            custom.pop(INJECT_FLAG, None)
        self._call("POST", f"{self.mount}/metadata/{base}/{path}", {"custom_metadata": custom})
        return {"path": path, "injected": injected}

    def injected(self, space_id, folder="", opted=None):
        """Paths of the secrets of a space this person injects (walks personal folders);
        ``opted``: the person's project choices, when the caller read them already."""
        base = self._base(space_id)
        if space_id != "personal":
            prefix = f"{space_id}/"
            opted = self._opt_ins() if opted is None else opted
            return sorted(p[len(prefix):] for p in opted if p.startswith(prefix))
        found = []
        pending = [folder]
        while pending:
            current = pending.pop()
            answer = self._call("LIST", f"{self.mount}/metadata/{base}/{current}".rstrip("/"))
            for key in (answer or {}).get("data", {}).get("keys", []):
                if key.startswith("."):
                    continue  # the datalab's own records
                if key.endswith("/"):
                    pending.append(current + key)
                    continue
                if self._is_injected(space_id, base, current + key):
                    found.append(current + key)
        return sorted(found)

    def injected_environment(self):
        """The keys and values of every secret this person injects, projects then personal
        (which wins), for the projects they are a member of now.

        Names that change how programs run, and those the platform sets itself, are left
        out whatever the secret holds (``envnames``): a member can still edit a shared
        secret, but not into a proxy or a loader path.
        """
        env = {}
        spaces = self.spaces()
        opted = self._opt_ins() if len(spaces) > 1 else set()  # read once for every project
        for space in reversed(spaces):
            for path in self.injected(space["id"], opted=opted):
                try:
                    env.update(self.read(space["id"], path)["data"])
                except SecretsError as e:
                    if e.status != 404:  # deleted since it was chosen: nothing to inject
                        raise
        return injectable(env)


def injected_secrets(vault_env):
    """Keys and values of the secrets the user marked for injection ({} if Vault says no)."""
    try:
        return Secrets(vault_env).injected_environment()
    except SecretsError:
        return {}
