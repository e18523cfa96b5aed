"""Companions as supervised local processes: the embedded default.

Each companion lives in ``<root>/<owner>/<name>/``::

    companion.json   its record (0600): the Companion, PID, port, prefix, connection
    data/            what it keeps (PostgreSQL cluster, Redis AOF, MLflow database)
    log              everything it printed
    events.jsonl     what happened to it, one JSON object a line

Processes run in their own session, and do not die with the hub service: a new ``LocalBackend`` on the same root adopts the running ones (PID and
start time checked, so a reused PID is never mistaken for a companion) and reports the
others stopped; ``launch`` on an existing record starts it again on its data, with the
same secrets and, when it is still free, the same port.

How an entry runs is said by its ``local`` section (see ``catalog/README.md``): the
``command`` runner fills the placeholders of ``local.cmd`` and ``local.files``; the
``postgresql`` runner initialises a cluster on first launch (``initdb`` with the
generated password, then the database from the options) and, when the hub runs as
root, runs PostgreSQL as an unprivileged user through a user namespace (PostgreSQL
refuses root).

Where clients connect: PostgreSQL and Redis on a free 127.0.0.1 port, behind their
generated password. Web UIs (MLflow, apps: code of their owner, open to a project) have
no password of their own, so with ``local.listen: "unix"`` they listen on a Unix socket
in their folder instead, which only this service reaches: browsers and kernels come
through the authenticated proxy (``client_url``, with the caller's own hub token).
With ``sandbox`` each companion runs in bubblewrap (``jupyterhub_datalab.sandbox``):
its own processes only, the state dir hidden but its own folder (and its owner's
workspace for apps), so an app cannot read other users' credentials or the stack's keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets as secrets_module
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from ..catalog import fill_service, service_values
from .. import sandbox as bubblewrap
from ..devstack.process import http_status
from . import Backend, BackendError, Companion, unix_url
from .processes import (_CHILDREN, HOST, _alive, _drop_root, _exit_code, _sandbox_pid, _signal_group,
                        _signal_sandboxed, find_command, free_port, tail_lines, unix_http_status)

NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
RECORD, LOG, EVENTS, DATA, SOCKET = "companion.json", "log", "events.jsonl", "data", "ui.sock"
PORT_TAKEN = re.compile(r"address already in use|could not bind|bind.*in use|port is already",
                        re.IGNORECASE)


def words(en, fr):
    """A message for users in both languages, as Companion.message carries it."""
    return en if en == fr else f"{en} / {fr}"



class LocalBackend(Backend):
    """Companions as local processes under ``root`` (``<state>/services``).

    ``workspaces``: the owner's workspace, for apps (``{owner}`` is filled), default
    ``<root>/../users/{owner}`` (where ``datalab up`` keeps homes).
    ``ui_prefix``: the URL path the authenticated proxy serves a companion's web UI
    under (``{owner}``, ``{name}`` filled); UIs are started with it as their base path.
    A launch may give its own in ``companion.endpoint["prefix"]``.
    ``client_url``: where kernels reach a UI that listens on a Unix socket (``{owner}``,
    ``{name}``): the proxy's address on the hub, e.g.
    ``http://127.0.0.1:8000/services/datalab/open/{owner}/{name}``.
    ``sandbox``: run each companion in bubblewrap, ``hidden_paths`` hidden (the state dir).
    """

    def __init__(self, root, *, workspaces=None, ui_prefix="/services/datalab/proxy/{owner}/{name}",
                 client_url=None, sandbox=False, hidden_paths=(), which=find_command,
                 stop_timeout=15):
        self.root = Path(root).expanduser().absolute()
        self.workspaces = workspaces or str(self.root.parent / "users" / "{owner}")
        self.ui_prefix = ui_prefix
        self.client_url = client_url
        self.sandbox = sandbox
        self.hidden_paths = list(hidden_paths)
        self.which = which
        self.stop_timeout = stop_timeout

    # -- files --------------------------------------------------------------------------

    def dir(self, companion):
        for part in (companion.owner, companion.name):
            if not isinstance(part, str) or not NAME.match(part):
                raise BackendError(f"{part!r} is not a valid owner or service name",
                                   f"{part!r} n'est pas un nom de propriétaire ou de service valide",
                                   status=400)
        return self.root / companion.owner / companion.name

    def _read(self, folder):
        try:
            return json.loads((folder / RECORD).read_text())
        except (OSError, ValueError):
            return None

    def _write(self, folder, record):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = folder / f".{RECORD}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(record, f, indent=2)
        os.replace(tmp, folder / RECORD)

    def _event(self, folder, message):
        with contextlib.suppress(OSError), open(folder / EVENTS, "a") as f:
            f.write(json.dumps({"time": time.time(), "message": message}) + "\n")

    def record(self, companion):
        """The stored record of a companion, or None."""
        return self._read(self.dir(companion))

    # -- what the hub service asks ------------------------------------------------------

    def unavailable(self, entry):
        return entry.local_unavailable(which=self.which)

    async def launch(self, companion: Companion, launch, credentials: dict) -> None:
        await asyncio.to_thread(self._launch, companion, launch, credentials or {})

    def _launch(self, companion, launch, credentials):
        entry = launch.entry
        folder = self.dir(companion)
        if entry.kind != "service" or not entry.service:
            raise BackendError(f"{entry.id} is not a service", f"{entry.id} n'est pas un service",
                               status=400)
        missing = self.unavailable(entry)
        if missing:
            raise BackendError(missing["en"], missing["fr"], status=503)
        record = self._read(folder)
        if record and record["companion"]["entry"] != entry.id:
            raise BackendError(
                f"the name {companion.name} is already used by a {record['companion']['entry']} service",
                f"le nom {companion.name} est déjà pris par un service {record['companion']['entry']}",
                status=409)
        if record and _alive(record.get("pid"), record.get("pid_started")):
            self._fill(companion, record)  # already running: launching again changes nothing
            return
        service = entry.service
        # secrets are made once: the data (PostgreSQL's cluster) was initialised with them
        kept = (record or {}).get("companion", {}).get("secrets") or companion.secrets or {}
        made = {n: kept.get(n) or secrets_module.token_urlsafe(24) for n in service.get("secrets", [])}
        local = entry.local
        unix = local.get("listen") == "unix"
        sock = folder / SOCKET
        port = None if unix else free_port((record or {}).get("port"))
        prefix = companion.endpoint["prefix"] if "prefix" in companion.endpoint \
            else (record or {}).get("prefix")
        if prefix is None:
            prefix = self.ui_prefix.format(owner=companion.owner, name=companion.name)
        prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        data = folder / DATA
        workspace = Path(self.workspaces.format(owner=companion.owner)).expanduser().absolute()
        if unix:  # kernels come through the proxy; None when it has no address (no {url})
            url = self.client_url.format(owner=companion.owner, name=companion.name) \
                if self.client_url else None
        else:
            url = f"http://{HOST}:{port}{prefix}"
        values = service_values(launch.options, made, credentials, host=HOST, port=port,
                                socket=str(sock) if unix else None, url=url, prefix=prefix, owner=companion.owner, name=companion.name,
                                namespace=companion.namespace or f"user-{companion.owner}",
                                data=data, run=folder, workspace=workspace)
        self._check_workspace_paths(service, values, workspace)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        data.mkdir(mode=0o700, exist_ok=True)
        fresh = record is None
        if fresh:
            self._event(folder, f"created: {entry.id} {launch.version}")

        def fill(text):
            try:
                return fill_service(text, values)
            except KeyError as e:
                raise BackendError(f"{entry.id}: no value for {{{e.args[0]}}}",
                                   f"{entry.id} : pas de valeur pour {{{e.args[0]}}}") from None

        env = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               "HOME": str(folder), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC"}
        env.update({k: fill(v) for k, v in (local.get("env") or {}).items()})
        env.update({k: str(v) for k, v in launch.env.items()})
        # the owner's injected secrets: in the environment only, never on the command line
        env.update({k: str(v) for k, v in launch.secret_env.items() if k not in env})
        cwd = workspace if service.get("workspace_paths") else folder
        if local.get("runner") == "postgresql":
            argv = self._postgresql(folder, data, launch.options, made, port)
            stop_signal = signal.SIGINT  # fast shutdown: ends sessions, checkpoints
            group = False  # the postmaster stops its own processes
        else:
            for file, text in (local.get("files") or {}).items():
                fd = os.open(folder / file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write(fill(text))
            argv = [fill(a) for a in local["cmd"]]
            argv[0] = self.which(argv[0]) or argv[0]
            stop_signal = signal.SIGTERM
            group = True  # e.g. mlflow's uvicorn worker
        connection = {}
        for key, text in service.get("connection", {}).items():
            with contextlib.suppress(KeyError):  # e.g. no S3 endpoint given: leave it out
                value = fill_service(text, values)
                if value:
                    connection[key] = value
        ui = service.get("ui")
        ready = dict(service.get("ready") or {"tcp": True})
        if ready.get("exec"):
            ready["exec"] = [fill(a) for a in ready["exec"]]
            ready["exec"][0] = self.which(ready["exec"][0]) or ready["exec"][0]
        if unix:
            sock.unlink(missing_ok=True)  # left by a crash: the server would not bind
        writable = [folder, workspace] if service.get("workspace_paths") else [folder]
        nobody = self.sandbox and local.get("runner") == "postgresql" and os.geteuid() == 0
        pid, started = self._spawn(argv, folder, env, cwd, writable if self.sandbox else None,
                                   as_nobody=nobody)
        record = {
            "companion": {**companion.to_dict(), "secrets": made, "status": "starting",
                          "version": launch.version, "entry": entry.id,
                          "created": (record or {}).get("companion", {}).get("created")
                          or companion.created or time.time()},
            "pid": pid, "pid_started": started, "port": port, "prefix": prefix,
            "socket": str(sock) if unix else None, "sandboxed": self.sandbox,
            "ui": (unix_url(sock, prefix) if unix else f"http://{HOST}:{port}{prefix}") + "/" if ui else None,
            "ui_path": ui["path"] if ui else None,
            "ready": ready, "launched": time.time(),
            "ready_after": None, "wanted": "running", "exit_reported": False,
            "stop_signal": int(stop_signal), "stop_group": group, "connection": connection, "argv": argv, "cwd": str(cwd),
        }
        self._write(folder, record)
        self._event(folder, f"{'started' if fresh else 'started again on its data'}: "
                            f"process {pid}{' in a sandbox' if self.sandbox else ''} on "
                            + (f"its socket {sock.name}" if unix else f"{HOST}:{port}"))
        self._fill(companion, record)

    def _check_workspace_paths(self, service, values, workspace):
        for option in service.get("workspace_paths", []):
            value = str(values.get(f"option.{option}", ""))
            target = (workspace / value).resolve()
            if not value or Path(value).is_absolute() or not target.is_relative_to(workspace.resolve()):
                raise BackendError(f"{option}: {value!r} must be a path inside your workspace",
                                   f"{option} : {value!r} doit être un chemin dans votre espace de travail",
                                   status=400)
            if not target.is_file():
                raise BackendError(f"{option}: {value} does not exist in your workspace",
                                   f"{option} : {value} n'existe pas dans votre espace de travail",
                                   status=400)

    def _postgresql(self, folder, data, options, made, port):
        """Initialise the cluster on first launch; the argv that serves it."""
        postgres, initdb = self.which("postgres"), self.which("initdb")
        as_user = _drop_root()
        user, database = options.get("user", "postgres"), options.get("database", "postgres")
        if not (data / "PG_VERSION").exists():
            for leftover in data.iterdir():  # a first launch that failed halfway
                shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
            pwfile = folder / ".pwfile"
            fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(made["password"] + "\n")
            try:
                self._run(folder, "initdb", [*as_user, initdb, "-D", str(data), "-U", user,
                                             f"--pwfile={pwfile}", "-A", "scram-sha-256",
                                             "-E", "UTF8", "--no-locale", "--no-sync"])
            finally:
                pwfile.unlink(missing_ok=True)
            # like initdb --no-sync: a new, empty cluster has nothing to lose yet (1 s saved)
            if database != "postgres":
                self._run(folder, "create database",
                          [*as_user, postgres, "--single", "-D", str(data), "-c",
                           "log_min_messages=warning", "-c", "fsync=off", "postgres"],
                          stdin=f'CREATE DATABASE "{database}" OWNER "{user}";\n')
            self._event(folder, f"initialised a PostgreSQL cluster with database {database}")
        # in a sandbox, its own user namespace does what unshare does (unshare cannot map
        # users there: the sandbox has no capabilities)
        return [*([] if self.sandbox else as_user), postgres, "-D", str(data), "-p", str(port),
                "-c", f"listen_addresses={HOST}", "-c", "unix_socket_directories=",
                "-c", "logging_collector=off"]

    def _run(self, folder, what, argv, stdin=None):
        with open(folder / LOG, "ab") as log:
            log.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} {what}\n".encode())
            done = subprocess.run(argv, check=False, input=stdin.encode() if stdin else None, stdout=log,
                                  stderr=subprocess.STDOUT, cwd=folder, timeout=120)
        if done.returncode != 0:
            lines = "\n".join(tail_lines(folder / LOG, 8))
            raise BackendError(f"{what} failed (code {done.returncode}):\n{lines}",
                               f"{what} a échoué (code {done.returncode}) :\n{lines}")

    def _spawn(self, argv, folder, env, cwd, writable=None, as_nobody=False):
        """Start ``argv`` in its own session (in a sandbox when ``writable`` is given: the
        folders it may write); (the PID that lives as long as it, its start time)."""
        info_read = info_write = None
        if writable is not None:
            info_read, info_write = os.pipe()
            try:
                argv = bubblewrap.bwrap_argv(argv, writable=writable, hidden=self.hidden_paths,
                                             chdir=cwd, die_with_parent=False, info_fd=info_write,
                                             as_nobody=as_nobody)
            except bubblewrap.SandboxUnavailable as e:
                os.close(info_read), os.close(info_write)
                raise BackendError(e.en, e.fr, status=503) from None
        try:
            with open(folder / LOG, "ab", buffering=0) as log:
                log.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting\n".encode())
                try:
                    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                            start_new_session=True,
                                            pass_fds=(info_write,) if info_write else ())
                except OSError as e:
                    raise BackendError(f"{argv[0]} could not be started: {e.strerror}",
                                       f"{argv[0]} n'a pas pu être lancé : {e.strerror}",
                                       status=503) from None
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

    def _fill(self, companion, record):
        """Bring the caller's Companion up to date with the record."""
        stored = record["companion"]
        companion.secrets = dict(stored.get("secrets") or {})
        companion.version = stored.get("version", companion.version)
        companion.created = stored.get("created") or companion.created
        companion.endpoint = {"host": HOST, "port": record["port"], "prefix": record["prefix"],
                              "socket": record.get("socket"), "ui": record["ui"],
                              "ui_path": record.get("ui_path"), "pid": record.get("pid")}

    async def _probe(self, record):
        ready = record.get("ready") or {"tcp": True}
        if ready.get("exec"):
            try:
                proc = await asyncio.create_subprocess_exec(
                    *ready["exec"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL)
            except OSError:
                return False
            try:
                return await asyncio.wait_for(proc.wait(), 5) == 0
            except TimeoutError:
                proc.kill()
                await proc.wait()
                return False
        if ready.get("http"):
            if record.get("socket"):
                code = await unix_http_status(record["socket"], f"{record['prefix']}{ready['http']}")
            else:
                url = f"http://{HOST}:{record['port']}{record['prefix']}{ready['http']}"
                code = await asyncio.to_thread(http_status, url, None, 2)
            return code is not None and 200 <= code < 400
        if record.get("socket"):
            return await unix_http_status(record["socket"], record["prefix"] + "/") is not None
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(HOST, record["port"]), 2)
        except (TimeoutError, OSError):
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    async def status(self, companion: Companion) -> tuple[str, str]:
        folder = self.dir(companion)
        record = self._read(folder)
        if record is None:
            return "stopped", words("never launched", "jamais lancé")
        state, message = await self._status(folder, record)
        companion.status, companion.message = state, message
        return state, message

    async def _status(self, folder, record):
        if _alive(record.get("pid"), record.get("pid_started")):
            if record.get("ready_after") is not None:
                return "ready", words("ready", "prêt")
            elapsed = time.time() - record["launched"]
            if await self._probe(record):
                record["ready_after"] = round(elapsed, 2)
                record["companion"]["status"] = "ready"
                self._write(folder, record)
                self._event(folder, f"ready after {elapsed:.1f} s")
                return "ready", words("ready", "prêt")
            timeout = (record.get("ready") or {}).get("timeout", 60)
            if elapsed > timeout:
                lines = "\n".join(tail_lines(folder / LOG, 10))
                return "failed", words(f"not ready after {timeout} s; last lines of its log:",
                                       f"pas prêt après {timeout} s ; dernières lignes de son journal :") \
                    + "\n" + lines
            return "starting", words(f"starting ({elapsed:.0f} s)", f"démarrage ({elapsed:.0f} s)")
        if record.get("wanted") == "stopped":
            return "stopped", words("stopped; its data is kept, start it again to use it",
                                    "arrêté ; ses données sont gardées, relancez-le pour l'utiliser")
        lines = tail_lines(folder / LOG, 10)
        code = _exit_code(record.get("pid"))
        how = f"exited with code {code}" if code is not None else "is no longer running"
        how_fr = f"s'est arrêté (code {code})" if code is not None else "ne tourne plus"
        if record.get("port") and any(PORT_TAKEN.search(line) for line in lines):
            head = words(f"it {how}: port {record['port']} is taken by another program; "
                         "start it again to use another port",
                         f"il {how_fr} : le port {record['port']} est pris par un autre programme ; "
                         "relancez-le pour utiliser un autre port")
        else:
            head = words(f"it {how}; last lines of its log:",
                         f"il {how_fr} ; dernières lignes de son journal :")
        if not record.get("exit_reported"):
            record["exit_reported"] = True
            record["companion"]["status"] = "failed"
            self._write(folder, record)
            self._event(folder, f"{how}: {lines[-1] if lines else ''}".rstrip(": "))
        return "failed", head + ("\n" + "\n".join(lines) if lines else "")

    async def logs(self, companion: Companion, tail: int = 200) -> list[str]:
        return tail_lines(self.dir(companion) / LOG, tail)

    async def events(self, companion: Companion) -> list[dict]:
        try:
            text = (self.dir(companion) / EVENTS).read_text()
        except OSError:
            return []
        out = []
        for line in text.splitlines():
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
        return out

    async def stop(self, companion: Companion) -> None:
        folder = self.dir(companion)
        record = self._read(folder)
        if record is None:
            return
        record["wanted"] = "stopped"
        record["companion"]["status"] = "stopped"
        self._write(folder, record)
        pid = record.get("pid")
        if _alive(pid, record.get("pid_started")):
            how = record.get("stop_signal", signal.SIGTERM)
            if record.get("sandboxed"):
                _signal_sandboxed(pid, how, record.get("stop_group", True))
            elif record.get("stop_group", True):
                _signal_group(pid, how)
            else:
                os.kill(pid, how)
            deadline = time.monotonic() + self.stop_timeout
            while _alive(pid, record.get("pid_started")) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if _alive(pid, record.get("pid_started")):
                self._event(folder, f"did not stop within {self.stop_timeout} s: killed")
            # and whatever is left of its session (workers)
            _signal_group(pid, signal.SIGKILL)
            self._event(folder, "stopped; data kept")
        _CHILDREN.pop(pid, None)
        companion.status = "stopped"

    async def delete(self, companion: Companion) -> None:
        folder = self.dir(companion)
        await self.stop(companion)
        await asyncio.to_thread(shutil.rmtree, folder, True)
        with contextlib.suppress(OSError):
            folder.parent.rmdir()  # the owner's folder, when it was their last service

    async def discover(self) -> list[Companion]:
        found = []
        for path in sorted(self.root.glob(f"*/*/{RECORD}")):
            record = self._read(path.parent)
            if record is None:
                continue
            stored = record["companion"]
            companion = Companion(**{k: v for k, v in stored.items()
                                     if k in Companion.__dataclass_fields__})
            self._fill(companion, record)
            companion.status, companion.message = await self._status(path.parent, record)
            found.append(companion)
        return found

    async def shutdown(self):
        """Stop every running companion (data kept), e.g. when ``datalab down`` runs."""
        for companion in await self.discover():
            if companion.status in ("starting", "ready"):
                await self.stop(companion)

    def connection(self, companion: Companion) -> dict:
        record = self._read(self.dir(companion))
        return dict(record["connection"]) if record else {}

    def ui_target(self, companion: Companion) -> str | None:
        record = self._read(self.dir(companion))
        return record.get("ui") if record else None

    def via_proxy(self, companion: Companion) -> bool:
        record = self._read(self.dir(companion))
        return bool(record and record.get("socket"))
