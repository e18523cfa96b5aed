"""One supervised process: started detached, logged to a file, checked for readiness."""

import ctypes
import os
import re
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
        raise StackError(f"`{name}` is not installed: {hint}", fr=f"`{name}` n'est pas installé : {hint}",
                         exit_code=2)
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


ERROR_MARKS = re.compile(r"^[EF]\d{4} |error|fatal|panic|exception", re.IGNORECASE)


def last_log_line(path, max_bytes=16384, since=None):
    """The log's last error line (Go's ``E``/``F`` lines, a Python error, a panic), to quote
    in an error; the last line only when there is no error at all. ``since``: only what
    follows the last line containing it (this run of the component).

    Seen before: SeaweedFS's crash was reported with its last (info) line, "LockRing:
    applying master ring update", which said nothing of what happened."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - max_bytes))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    if since:
        marks = [i for i, line in enumerate(lines) if since in line]
        if marks:
            lines = lines[marks[-1] + 1:]
    lines = [line.strip() for line in lines if line.strip()]
    for line in reversed(lines[-200:]):
        if ERROR_MARKS.search(line):
            return line[:300]
    return lines[-1][:300] if lines else ""


def exit_reason(returncode, language="en"):
    """``exited with code 3`` or ``was killed by SIGKILL`` (in French for ``fr``)."""
    fr = language == "fr"
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"a été tué par {name}" if fr else f"was killed by {name}"
    return f"s'est arrêté avec le code {returncode}" if fr else f"exited with code {returncode}"


class Component:
    """A process of the stack, e.g. ``seaweedfs`` or ``jupyterhub``.

    ``ready`` is a callable returning True once the component serves requests.
    """

    def __init__(self, name, argv, log_path, *, env=None, cwd=None, ready=None,
                 timeout=90, url=None):
        # set by the supervisor (Stack.up decides what restarts, in one place):
        self.restartable = False  # start it again when it fails (its crash must not stop all)
        self.after_restart = None  # what to do once it is ready again (OpenBao starts sealed)
        self.restarts = []  # monotonic times of the restarts in the supervisor's window
        self.restart_count = 0
        self.last_failure = None
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
            raise StackError(f"{self.name} could not be started ({self.argv[0]}: {e.strerror})",
                             fr=f"{self.name} n'a pas pu démarrer ({self.argv[0]} : {e.strerror})")
        finally:
            log.close()
        self.started_at = time.monotonic()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def failure(self, language="en"):
        """What ended the process, in one line: exit code or signal, the log's last error."""
        detail = last_log_line(self.log_path, since=f"starting {self.name}")
        fr = language == "fr"
        return (f"{self.name} {exit_reason(self.proc.returncode, language)}"
                + ((" : " if fr else ": ") + detail if detail else "")
                + (f" (journal : {self.log_path})" if fr else f" (log: {self.log_path})"))

    def check_alive(self):
        """Raise a StackError quoting the log if the process has exited."""
        if self.proc is not None and self.proc.poll() is not None:
            raise StackError(self.failure(), fr=self.failure("fr"))

    def wait_ready(self):
        deadline = time.monotonic() + self.timeout
        while True:
            self.check_alive()
            if self.ready is None or self.ready():
                self.ready_after = time.monotonic() - self.started_at
                return self.ready_after
            if time.monotonic() > deadline:
                raise StackError(
                    f"{self.name} was not ready after {self.timeout} s (log: {self.log_path})",
                    fr=f"{self.name} n'était pas prêt après {self.timeout} s (journal : {self.log_path})",
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
