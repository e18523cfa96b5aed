"""One supervised process: started detached, logged to a file, checked for readiness."""

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from pathlib import Path

import psutil

from .errors import StackError

_PR_SET_PDEATHSIG = 1


def die_with_parent():
    """Linux: have the kernel SIGTERM this process if its parent dies abruptly."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def installed_command(name, hint):
    """A program of this Python environment (or PATH), or a StackError saying how to get it."""
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        raise StackError(f"`{name}` is not installed: {hint}", exit_code=2)
    return found


def http_status(url, headers=None, timeout=2):
    """The HTTP status of a GET, or None when nothing answers."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError):
        return None


def last_log_line(path, max_bytes=4096):
    """The line of a log's tail that best says what went wrong, to quote in an error."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - max_bytes))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    lines = [line.strip() for line in lines if line.strip()]
    # a Python traceback ends with its message spread over lines: quote the error line
    for line in reversed(lines[-15:]):
        if "Error" in line or "error:" in line.lower():
            return line[:300]
    return lines[-1][:300] if lines else ""


class Component:
    """A process of the stack, e.g. ``seaweedfs`` or ``jupyterhub``.

    ``ready`` is a callable returning True once the component serves requests.
    """

    def __init__(self, name, argv, log_path, *, env=None, cwd=None, ready=None,
                 timeout=90, url=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = log_path
        self.env = env
        self.cwd = cwd
        self.ready = ready
        self.timeout = timeout
        self.url = url
        self.proc = None
        self.started_at = None
        self.ready_after = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self):
        log = open(self.log_path, "ab", buffering=0)
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting {self.name}\n".encode())
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        except OSError as e:
            raise StackError(f"{self.name} could not be started ({self.argv[0]}: {e.strerror})")
        finally:
            log.close()
        self.started_at = time.monotonic()

    def check_alive(self):
        """Raise a StackError quoting the log if the process has exited."""
        if self.proc is not None and self.proc.poll() is not None:
            detail = last_log_line(self.log_path)
            raise StackError(
                f"{self.name} exited with code {self.proc.returncode}"
                + (f": {detail}" if detail else "")
                + f" (log: {self.log_path})"
            )

    def wait_ready(self):
        deadline = time.monotonic() + self.timeout
        while True:
            self.check_alive()
            if self.ready is None or self.ready():
                self.ready_after = time.monotonic() - self.started_at
                return self.ready_after
            if time.monotonic() > deadline:
                raise StackError(
                    f"{self.name} was not ready after {self.timeout} s (log: {self.log_path})"
                )
            time.sleep(0.1)

    def descendants(self):
        if self.proc is None:
            return []
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def stop(self, timeout=15):
        """SIGTERM the process, then SIGKILL whatever of its tree is left."""
        if self.proc is None:
            return
        children = self.descendants()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        # what the component left behind (e.g. a server the hub did not stop)
        terminate_all(children, timeout=5)


def terminate_all(procs, timeout=10):
    """SIGTERM the psutil processes, then SIGKILL those still running after ``timeout``."""
    alive = [p for p in procs if p.is_running()]
    for p in alive:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(alive, timeout=timeout)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
