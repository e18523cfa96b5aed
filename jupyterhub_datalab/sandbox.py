"""One bubblewrap sandbox for everything a user runs on one machine: servers and companions.

On the embedded default every user's server and every companion (an app is its owner's
code) runs as the stack's OS account. What separates them is this sandbox, as a multi-user
machine separates Unix users: a PID namespace of its own (no other process, so no other
user's credentials in ``/proc/*/environ``), no capabilities, the filesystem read-only but
what the process may write, a private ``/tmp``, and the hidden paths (the state dir: its
keys, other users' homes, other companions' data and sockets) replaced by empty folders.
The network stays shared: S3, Vault and the hub are reached over it; what must not be
reached from it listens on a Unix socket inside a hidden folder instead.
"""

import os
import pwd
import shutil
import sys

# what an editable install runs from: the folder holding this package
PACKAGE_SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class SandboxUnavailable(RuntimeError):
    """bubblewrap is not installed."""

    en = "The sandbox needs bubblewrap: apt-get install bubblewrap"
    fr = "Le bac à sable demande bubblewrap : apt-get install bubblewrap"

    def __init__(self):
        super().__init__(f"{self.en} / {self.fr}")


def available():
    return shutil.which("bwrap") is not None


def _below(path, folders):
    return any(path == f or path.startswith(f + os.sep) for f in folders)


def bwrap_argv(cmd, *, writable, hidden=(), chdir=None, die_with_parent=True, info_fd=None,
               as_nobody=False):
    """``cmd`` inside bubblewrap.

    ``writable``: folders bound read-write (the user's home, a companion's own folder),
    even below a hidden path. ``hidden``: folders replaced by empty ones. What ``cmd`` runs
    from (this Python environment, this package's source for an editable install, the
    command's own folder) is put back read-only when a hidden path or ``/tmp`` covers it.
    ``die_with_parent``: a server dies with the hub; companions outlive the service.
    ``info_fd``: where bwrap writes ``{"child-pid": N}``, the sandbox's process seen from
    outside, which lives exactly as long as the sandbox.
    ``as_nobody``: run as ``nobody`` in a user namespace of its own (PostgreSQL refuses
    root); files it writes stay ours outside.
    """
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable()
    argv = [bwrap]
    if die_with_parent:
        argv.append("--die-with-parent")
    if info_fd is not None:
        argv += ["--info-fd", str(info_fd)]
    if as_nobody:
        nobody = pwd.getpwnam("nobody")
        argv += ["--unshare-user", "--uid", str(nobody.pw_uid), "--gid", str(nobody.pw_gid)]
    argv += ["--unshare-pid", "--unshare-ipc", "--cap-drop", "ALL",
             "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    hidden = [os.path.realpath(p) for p in hidden]
    for path in hidden:
        argv += ["--tmpfs", path]
    needed = {sys.prefix, sys.base_prefix, PACKAGE_SOURCE}
    executable = shutil.which(cmd[0]) if cmd else None
    if executable:
        needed.add(os.path.dirname(os.path.realpath(executable)))
    for path in sorted(os.path.realpath(p) for p in needed):
        if _below(path, [*hidden, "/tmp"]):
            argv += ["--ro-bind", path, path]
    for path in sorted(os.path.realpath(p) for p in writable):
        argv += ["--bind", path, path]
    if chdir:
        argv += ["--chdir", os.path.realpath(chdir)]
    return [*argv, "--", *cmd]
