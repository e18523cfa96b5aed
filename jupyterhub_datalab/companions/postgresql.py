"""PostgreSQL for the local backend (its ``runner: postgresql``): a cluster initialised
on the first launch with the generated password, then the command that serves it.

PostgreSQL refuses to run as root: when the hub service is root, both run as an
unprivileged user through a user namespace (``_drop_root``), or in the sandbox's own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from . import BackendError
from .processes import HOST, _drop_root, tail_lines


def run_logged(log, cwd, what, argv, stdin=None):
    """Run one step to its end, its output appended to ``log``; its failure, in words."""
    with open(log, "ab") as out:
        out.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} {what}\n".encode())
        done = subprocess.run(argv, check=False, input=stdin.encode() if stdin else None, stdout=out,
                              stderr=subprocess.STDOUT, cwd=cwd, timeout=120)
    if done.returncode != 0:
        lines = "\n".join(tail_lines(log, 8))
        raise BackendError(500,
                           f"{what} failed (code {done.returncode}):\n{lines}",
                           fr=f"{what} a échoué (code {done.returncode}) :\n{lines}")


def postgresql_argv(folder, data, options, password, port, *, which, sandbox, log, event):
    """Initialise the cluster in ``data`` on first launch; the argv that serves it."""
    postgres, initdb = which("postgres"), which("initdb")
    as_user = _drop_root()
    user, database = options.get("user", "postgres"), options.get("database", "postgres")
    if not (data / "PG_VERSION").exists():
        for leftover in data.iterdir():  # a first launch that failed halfway
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        pwfile = folder / ".pwfile"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
        try:
            run_logged(log, folder, "initdb", [*as_user, initdb, "-D", str(data), "-U", user,
                                               f"--pwfile={pwfile}", "-A", "scram-sha-256",
                                               "-E", "UTF8", "--no-locale", "--no-sync"])
        finally:
            pwfile.unlink(missing_ok=True)
        # like initdb --no-sync: a new, empty cluster has nothing to lose yet (1 s saved)
        if database != "postgres":
            run_logged(log, folder, "create database",
                       [*as_user, postgres, "--single", "-D", str(data), "-c",
                        "log_min_messages=warning", "-c", "fsync=off", "postgres"],
                       stdin=f'CREATE DATABASE "{database}" OWNER "{user}";\n')
        event(f"initialised a PostgreSQL cluster with database {database}")
    # in a sandbox, its own user namespace does what unshare does (unshare cannot map
    # users there: the sandbox has no capabilities)
    return [*([] if sandbox else as_user), postgres, "-D", str(data), "-p", str(port),
            "-c", f"listen_addresses={HOST}", "-c", "unix_socket_directories=",
            "-c", "logging_collector=off"]
