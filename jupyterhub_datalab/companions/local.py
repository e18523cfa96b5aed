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

What runs is the launch plan the service made (:mod:`.plan`: passwords, options,
variables, the UI's prefix); how, its entry's ``local`` section (``catalog/README.md``): the
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
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from traitlets import Bool, Float, List, Unicode, default

from ..devstack.process import http_status
from ..names import user_namespace
from . import Backend, BackendError, Companion, unix_url
from .postgresql import postgresql_argv
from .processes import (  # noqa: F401 (_drop_root: re-exported for the benchmarks)
    _CHILDREN, HOST, _alive, _drop_root, _exit_code, _signal_group, _signal_sandboxed, find_command,
    free_port, spawn, tail_lines, unix_http_status)

NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
RECORD, LOG, EVENTS, DATA, SOCKET = "companion.json", "log", "events.jsonl", "data", "ui.sock"
PORT_TAKEN = re.compile(r"address already in use|could not bind|bind.*in use|port is already",
                        re.IGNORECASE)


def words(en, fr):
    """A message for users in both languages, as Companion.message carries it."""
    return en if en == fr else f"{en} / {fr}"


class LocalBackend(Backend):
    """Companions as local processes under ``root``, the embedded default.

    Configure it as ``c.LocalBackend.<trait>`` in the config the hub service loads; the
    service fills ``root``, ``ui_prefix`` and ``client_url`` from its own settings when
    the config leaves them unset.
    """

    root = Unicode(
        config=True,
        help="""Where companions keep their records, data and logs, one folder each:
        ``<root>/<owner>/<name>/``. Default: ``<DatalabService.state_dir>/local``.""",
    )

    @default("root")
    def _default_root(self):
        return os.path.abspath(os.path.join("datalab-services", "local"))

    workspaces = Unicode(
        config=True,
        help="""The owner's workspace, which apps serve files of (``{owner}``: the normalised
        username), e.g. ``/home/{owner}``. Default: ``<root>/../users/{owner}``, where
        ``datalab up`` keeps homes.""",
    )

    @default("workspaces")
    def _default_workspaces(self):
        return str(self.root_path.parent / "users" / "{owner}")

    ui_prefix = Unicode(
        "/services/datalab/proxy/{owner}/{name}", config=True,
        help="""The URL path the authenticated proxy serves a companion's web UI under
        (``{owner}``, ``{name}`` filled), unless the launch gives its own. UIs are started
        with it as their base path. The service sets ``<service_prefix>open/{owner}/{name}``.""",
    )
    client_url = Unicode(
        None, allow_none=True, config=True,
        help="""Where kernels reach a web UI that listens on a Unix socket (``{owner}``,
        ``{name}``): the proxy's address on the hub, e.g.
        ``http://127.0.0.1:8000/services/datalab/open/{owner}/{name}``. None: such UIs have
        no ``{url}`` for clients. The service sets it from ``DatalabService.hub_url``.""",
    )
    sandbox = Bool(
        False, config=True,
        help="""Run each companion in bubblewrap: its own processes only, the state dir
        hidden but its own folder (and its owner's workspace for apps).""",
    )
    hidden_paths = List(
        Unicode(), config=True,
        help="Folders a sandboxed companion sees empty (the stack's state dir: keys, others' data).",
    )
    stop_timeout = Float(
        15.0, config=True,
        help="Seconds a companion has to stop after its stop signal before it is killed.",
    )

    def __init__(self, root=None, *, which=find_command, **kwargs):
        if root is not None:
            kwargs["root"] = str(root)
        if "hidden_paths" in kwargs:  # paths given as Path objects, by code
            kwargs["hidden_paths"] = [str(path) for path in kwargs["hidden_paths"]]
        self.which = which  # how commands are found (tests give their own)
        super().__init__(**kwargs)

    @property
    def root_path(self):
        return Path(self.root).expanduser().absolute()

    # -- files --------------------------------------------------------------------------

    def dir(self, companion):
        for part in (companion.owner, companion.name):
            if not isinstance(part, str) or not NAME.match(part):
                raise BackendError(400,
                                   f"{part!r} is not a valid owner or service name",
                                   fr=f"{part!r} n'est pas un nom de propriétaire ou de service valide")
        return self.root_path / companion.owner / companion.name

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

    async def start(self, companion: Companion, plan) -> None:
        await asyncio.to_thread(self._start, companion, plan)

    def _start(self, companion, plan):
        entry = plan.entry
        folder = self.dir(companion)
        missing = self.unavailable(entry)
        if missing:
            raise BackendError(503, missing["en"], fr=missing["fr"])
        record = self._read(folder)
        if record and record["companion"]["entry"] != entry.id:
            raise BackendError(409,
                               f"the name {companion.name} is already used by a {record['companion']['entry']} service",
                               fr=f"le nom {companion.name} est déjà pris par un service {record['companion']['entry']}")
        if record and _alive(record.get("pid"), record.get("pid_started")):
            self._fill(companion, record)  # already running: launching again changes nothing
            return
        # secrets are made once: the data (PostgreSQL's cluster) was initialised with them
        plan = plan.keeping((record or {}).get("companion", {}).get("secrets") or {})
        if record and "prefix" not in companion.endpoint:  # where its UI was
            plan = replace(plan, prefix=record.get("prefix") or "")
        local, prefix = entry.local, plan.prefix
        unix = local.get("listen") == "unix"
        sock = folder / SOCKET
        port = None if unix else free_port((record or {}).get("port"))
        data = folder / DATA
        workspace = Path(self.workspaces.format(owner=companion.owner)).expanduser().absolute()
        if unix:  # kernels come through the proxy; None when it has no address (no {url})
            url = self.client_url.format(owner=companion.owner, name=companion.name) \
                if self.client_url else None
        else:
            url = f"http://{HOST}:{port}{prefix}"
        values = plan.values(host=HOST, port=port, socket=str(sock) if unix else None, url=url,
                             namespace=companion.namespace or user_namespace(companion.owner),
                             data=data, run=folder, workspace=workspace)
        self._check_workspace_files(plan, workspace)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        data.mkdir(mode=0o700, exist_ok=True)
        fresh = record is None
        if fresh:
            self._event(folder, f"created: {entry.id} {plan.version}")

        def fill(text, what):
            return plan.fill(text, values, what)

        env = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               "HOME": str(folder), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC"}
        env.update({k: fill(v, f"local.env.{k}") for k, v in (local.get("env") or {}).items()})
        env.update(plan.env)
        # the owner's injected secrets: in the environment only, never on the command line
        env.update({k: v for k, v in plan.secret_env.items() if k not in env})
        cwd = workspace if plan.uses_workspace else folder
        if local.get("runner") == "postgresql":
            argv = postgresql_argv(folder, data, plan.options, plan.secrets["password"], port,
                                   which=self.which, sandbox=self.sandbox, log=folder / LOG,
                                   event=lambda text: self._event(folder, text))
            stop_signal = signal.SIGINT  # fast shutdown: ends sessions, checkpoints
            group = False  # the postmaster stops its own processes
        else:
            for file, text in (local.get("files") or {}).items():
                fd = os.open(folder / file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write(fill(text, f"local.files.{file}"))
            argv = [fill(a, f"local.cmd[{i}]") for i, a in enumerate(local["cmd"])]
            argv[0] = self.which(argv[0]) or argv[0]
            stop_signal = signal.SIGTERM
            group = True  # e.g. mlflow's uvicorn worker
        ready = plan.ready
        if ready.get("exec"):
            ready["exec"] = [fill(a, "service.ready.exec") for a in ready["exec"]]
            ready["exec"][0] = self.which(ready["exec"][0]) or ready["exec"][0]
        if unix:
            sock.unlink(missing_ok=True)  # left by a crash: the server would not bind
        writable = [folder, workspace] if plan.uses_workspace else [folder]
        nobody = self.sandbox and local.get("runner") == "postgresql" and os.geteuid() == 0
        pid, started = spawn(argv, folder / LOG, env, cwd, writable=writable if self.sandbox else None,
                             hidden=self.hidden_paths, as_nobody=nobody)
        record = {
            "companion": {**companion.to_dict(), "secrets": dict(plan.secrets), "status": "starting",
                          "version": plan.version, "entry": entry.id,
                          "created": (record or {}).get("companion", {}).get("created")
                          or companion.created or time.time()},
            "pid": pid, "pid_started": started, "port": port, "prefix": prefix,
            "socket": str(sock) if unix else None, "sandboxed": self.sandbox,
            "ui": (unix_url(sock, prefix) if unix else f"http://{HOST}:{port}{prefix}") + "/"
            if plan.ui_path else None,
            "ui_path": plan.ui_path, "ready": ready, "launched": time.time(),
            "ready_after": None, "wanted": "running", "exit_reported": False,
            "stop_signal": int(stop_signal), "stop_group": group, "connection": plan.connection(values),
            "argv": argv, "cwd": str(cwd),
        }
        self._write(folder, record)
        self._event(folder, f"{'started' if fresh else 'started again on its data'}: "
                            f"process {pid}{' in a sandbox' if self.sandbox else ''} on "
                            + (f"its socket {sock.name}" if unix else f"{HOST}:{port}"))
        self._fill(companion, record)

    @staticmethod
    def _check_workspace_files(plan, workspace):
        """The plan's paths are relative and stay inside; here: not through a symlink
        either, and the file is there."""
        for option, value in plan.workspace_files:
            target = (workspace / value).resolve()
            if not target.is_relative_to(workspace.resolve()):
                raise BackendError(400,
                                   f"{option}: {value!r} must be a path inside your workspace",
                                   fr=f"{option} : {value!r} doit être un chemin dans votre espace de travail")
            if not target.is_file():
                raise BackendError(400,
                                   f"{option}: {value} does not exist in your workspace",
                                   fr=f"{option} : {value} n'existe pas dans votre espace de travail")

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
        for path in sorted(self.root_path.glob(f"*/*/{RECORD}")):
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
