"""The launch plan: what one companion runs, decided once for every backend.

From the catalog's checked launch (entry, options, resources, variables), the companion
(owner, name, project, its passwords so far) and the owner's credentials, ``make_plan``
decides everything that does not depend on where it runs: the generated passwords, the
web UI's base path, the variables, the resources, the workspace files an app serves.
Each backend then only says where: a local process (``local`` section, 127.0.0.1, a
folder) or a Deployment (``kubernetes`` section, a Service's name, volumes).

Before, each backend derived these itself, and they drifted: the local backend refused
an app file outside the owner's workspace, the Kubernetes one never looked. Pure: no
traitlets, no client, no server (tests/companions/test_plan.py).
"""

from __future__ import annotations

import secrets as secrets_module
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from ..catalog import Entry, fill_service, service_values
from . import BackendError


def fill_connection(templates, values):
    """The connection variables (``DATABASE_URL``...) of an entry's ``service.connection``
    filled with ``values``; a variable whose placeholder has no value (no S3 endpoint
    given) or whose value is empty is left out."""
    out = {}
    for var, template in (templates or {}).items():
        try:
            value = fill_service(str(template), values)
        except KeyError:
            continue
        if value:
            out[var] = value
    return out


def clean_prefix(prefix):
    """A URL base path as UIs are started with: ``/a/b`` (no trailing slash), or ''."""
    prefix = (prefix or "").strip("/")
    return "/" + prefix if prefix else ""


@dataclass(frozen=True)
class LaunchPlan:
    """One companion's launch: every backend runs exactly this."""

    owner: str  # normalised username
    name: str  # the companion's name, unique per owner
    entry: Entry  # its ``local`` / ``kubernetes`` sections say how each backend runs it
    version: str
    options: dict  # checked
    secrets: dict  # generated passwords by name: made at the first launch, kept after
    credentials: dict = field(default_factory=dict)  # the owner's S3 variables, {credential.X}
    env: dict = field(default_factory=dict)  # variables the options set (``sets: env:X``)
    secret_env: dict = field(default_factory=dict)  # injected secrets: environment or Secret only
    cpu: float | None = None  # cores; None: the backend's default
    memory: float | None = None  # GiB
    disk: int | None = None  # GiB
    gpu: int = 0
    prefix: str = ""  # the web UI's base path, ``/services/datalab/open/<owner>/<name>``
    project: str | None = None
    shared: bool = False
    workspace_files: tuple = ()  # (option, path relative to the owner's workspace): an app's

    @property
    def service(self):
        return self.entry.service or {}

    @property
    def image(self):
        return self.entry.image_ref(self.version)

    @property
    def port(self):
        """The port clients reach it on (``service.port``)."""
        return int(self.service["port"])

    @property
    def ui_path(self):
        """The path of its web UI under ``prefix``, or None when it has none."""
        ui = self.service.get("ui")
        return ui["path"] if ui else None

    @property
    def ready(self):
        """How to tell it is ready: ``{"tcp": True}``, ``{"http": path}`` or ``{"exec": argv}``."""
        return dict(self.service.get("ready") or {"tcp": True})

    @property
    def ready_timeout(self):
        return self.ready.get("timeout", 60)

    @property
    def data_path(self):
        """Where its image keeps data (the disk's mount on Kubernetes), or None."""
        return self.service.get("data_path")

    @property
    def uses_workspace(self):
        """An app serving files of its owner's workspace (mounted read-only)."""
        return bool(self.service.get("workspace_paths"))

    def keeping(self, stored):
        """The same plan with the passwords ``stored`` where it runs (its data was
        initialised with them): they win over the plan's."""
        kept = {name: stored.get(name) or value for name, value in self.secrets.items()}
        return replace(self, secrets=kept)

    def values(self, **where):
        """The placeholder values of this launch, with ``where`` it runs (host, port,
        data, run, workspace, namespace, socket, url)."""
        return service_values(self.options, self.secrets, self.credentials, prefix=self.prefix,
                              owner=self.owner, name=self.name, **where)

    def fill(self, template, values, what):
        """One template filled; a placeholder with no value is said, naming ``what``."""
        try:
            return fill_service(str(template), values)
        except KeyError as e:
            raise BackendError(500,
                               f"{self.entry.id}: {what}: no value for {{{e.args[0]}}}",
                               fr=f"{self.entry.id} : {what} : pas de valeur pour {{{e.args[0]}}}") from None

    def connection(self, values):
        return fill_connection(self.service.get("connection"), values)


def workspace_files(entry, options):
    """(option, relative path) of each ``service.workspace_paths`` option: a path inside
    the owner's workspace, never absolute nor climbing out of it (400 otherwise)."""
    values = service_values(options)
    found = []
    for option in (entry.service or {}).get("workspace_paths", []):
        value = str(values.get(f"option.{option}", ""))
        path = PurePosixPath(value)
        if not value or path.is_absolute() or ".." in path.parts or "\0" in value:
            raise BackendError(400,
                               f"{option}: {value!r} must be a path inside your workspace",
                               fr=f"{option} : {value!r} doit être un chemin dans votre espace de travail")
        found.append((option, value))
    return tuple(found)


def make_plan(companion, launch, credentials=None, *, ui_prefix="", token=None):
    """The plan of ``companion`` for the checked ``launch`` (catalog.Launch): passwords
    kept from ``companion.secrets`` or made (``token``: how, for tests), the UI's base path
    from ``companion.endpoint["prefix"]`` else ``ui_prefix`` (``{owner}``, ``{name}``)."""
    entry = launch.entry
    if entry.kind != "service" or not entry.service:
        raise BackendError(400,
                           f"{entry.id} is not a service",
                           fr=f"{entry.id} n'est pas un service")
    token = token or (lambda: secrets_module.token_urlsafe(24))
    kept = companion.secrets or {}
    made = {name: kept.get(name) or token() for name in entry.service.get("secrets", [])}
    prefix = companion.endpoint.get("prefix")
    if prefix is None:
        prefix = ui_prefix.format(owner=companion.owner, name=companion.name)
    return LaunchPlan(
        owner=companion.owner, name=companion.name, entry=entry, version=launch.version,
        options=dict(launch.options), secrets=made, credentials=dict(credentials or {}),
        env={k: str(v) for k, v in launch.env.items()},
        secret_env={k: str(v) for k, v in (launch.secret_env or {}).items()},
        cpu=launch.cpu, memory=launch.memory, disk=launch.disk, gpu=launch.gpu,
        prefix=clean_prefix(prefix), project=companion.project, shared=companion.shared,
        workspace_files=workspace_files(entry, launch.options))
