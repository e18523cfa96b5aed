"""The state directory: everything a stack keeps between runs, in one place.

Secrets (OAuth client secret, S3 admin keys, the Vault unseal key and root
token, the hub's crypt key) are files with mode 0600, created once.
"""

import fcntl
import json
import os
import secrets
from pathlib import Path

from .errors import StackError

SUBDIRS = ("logs", "hub", "users", "oidc", "s3", "vault")


def default_state_dir():
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(base) / "datalab"


class StateDir:
    def __init__(self, path):
        self.path = Path(path).expanduser().absolute()
        self._lock_file = None

    def __truediv__(self, other):
        return self.path / other

    def prepare(self):
        """Create the layout, or say in one line why the directory is unusable."""
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            for sub in SUBDIRS:
                (self.path / sub).mkdir(mode=0o700, exist_ok=True)
            probe = self.path / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as e:
            raise StackError(
                f"state dir {self.path} is not usable: {e.strerror or e}. "
                "Choose another with --state-dir.",
                fr=f"le dossier d'état {self.path} est inutilisable : {e.strerror or e}. "
                   "Choisissez-en un autre avec --state-dir.",
                exit_code=2,
            ) from None

    def lock(self):
        """Refuse to run two stacks on one state dir."""
        f = open(self.path / "datalab.lock", "a+")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            f.close()
            raise StackError(
                f"a datalab is already running with state dir {self.path} (pid {holder}); "
                f"stop it with `datalab down --state-dir {self.path}`",
                fr=f"un datalab tourne déjà avec le dossier d'état {self.path} (pid {holder}) ; "
                   f"arrêtez-le avec `datalab down --state-dir {self.path}`",
                exit_code=2,
            ) from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        self._lock_file = f

    def unlock(self):
        if self._lock_file:
            self._lock_file.close()
            self._lock_file = None

    def write_private(self, name, text):
        path = self.path / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(path, 0o600)
        return path

    def read_json(self, name, default=None):
        try:
            return json.loads((self.path / name).read_text())
        except FileNotFoundError:
            return default
        except ValueError:
            raise StackError(f"{self.path / name} is not valid JSON; fix or delete it",
                             fr=f"{self.path / name} n'est pas du JSON valide ; corrigez-le ou "
                                "supprimez-le") from None

    def write_json(self, name, data):
        return self.write_private(name, json.dumps(data, indent=2) + "\n")

    def secret(self, name, nbytes=32):
        """A random secret kept in a 0600 file, generated on first use."""
        path = self.path / name
        if path.exists():
            return path.read_text().strip()
        value = secrets.token_hex(nbytes)
        self.write_private(name, value + "\n")
        return value
