"""Companion services: what a user launches beside their environment (PostgreSQL, MLflow...).

The datalab hub service (``jupyterhub_datalab.service``) owns the lifecycle and the
access checks; a ``Backend`` only runs things: ``local`` (supervised processes, the
embedded default) or ``kubernetes`` (manifests in the user's or project's namespace).
Both keep what they need to find running services again after a restart.

Backends are configured as spawners are, with traits (``c.LocalBackend.root``,
``c.KubernetesBackend.storage_class``...), and run one :class:`~.plan.LaunchPlan` each:
what to start is decided once (``plan.make_plan``), how to run it is the backend's.
"""

from __future__ import annotations

import abc
from dataclasses import asdict, dataclass, field
from urllib.parse import quote, unquote, urlparse

from traitlets import Any
from traitlets.config import LoggingConfigurable
from traitlets.traitlets import MetaHasTraits

from ..messages import DatalabError


def unix_url(path, prefix=""):
    """``http+unix://<socket, quoted>/<prefix>``: a web UI listening on a Unix socket."""
    return f"http+unix://{quote(str(path), safe='')}{prefix}"


def unix_socket_of(url):
    """(socket path, ``http://localhost/<path>``) of a ``unix_url``, or (None, url)."""
    parsed = urlparse(url)
    if parsed.scheme != "http+unix":
        return None, url
    rest = url[len("http+unix://") + len(parsed.netloc):]
    return unquote(parsed.netloc), "http://localhost" + (rest or "/")


# the life of a companion, as users see it
STATUSES = ("starting", "ready", "failed", "stopped")


@dataclass
class Companion:
    """One launched service. ``secrets`` (generated passwords) never leave the service
    except to people allowed to use it, in ``connection`` values."""

    owner: str  # normalised username of who launched it
    name: str  # normalised, unique per owner: e.g. "postgresql-1"
    entry: str  # catalog entry id
    version: str
    options: dict  # checked options (catalog.check_options)
    namespace: str  # where it runs: "user-<owner>" or "project-<project>"
    project: str | None = None  # launched in (or shared with) this project
    shared: bool = False  # members of ``project`` can see and open it; only the owner deletes
    created: float = 0.0
    status: str = "starting"
    message: str = ""  # the last thing to say about it, in words (fr + en joined)
    secrets: dict = field(default_factory=dict)
    endpoint: dict = field(default_factory=dict)  # backend-specific: host, port, ui...

    @property
    def key(self):
        return f"{self.owner}/{self.name}"

    def to_dict(self):
        return asdict(self)


class BackendError(DatalabError, RuntimeError):
    """A backend could not do what was asked: ``BackendError(status, en, fr=...)``, the
    order of every datalab error; ``status`` is the HTTP status for users."""


class _Meta(MetaHasTraits, abc.ABCMeta):
    """Traits and abstract methods together."""


def configured_names(config, cls):
    """The settings of ``cls`` a traitlets config gives (its section or its bases')."""
    names = set()
    for klass in cls.mro():
        section = klass.__name__
        if section in config:
            names |= set(config[section])
    return names


class Backend(LoggingConfigurable, metaclass=_Meta):
    """How companions run. Every method is safe to call again (restarts, retries).

    A configurable class: its settings are ``c.<Backend class>.<trait>``, and the datalab
    service builds it with ``configured`` (parent: the service, so the same config file)."""

    catalog = Any(
        None, allow_none=True,
        help="The catalog (DatalabCatalog), for companions found again after a restart.",
    )

    @classmethod
    def configured(cls, parent, defaults=None, deprecated_options=None, **kwargs):
        """The backend as ``parent``'s config sets it. ``defaults``: what the parent knows
        (its state dir, its URL prefix), for the settings the config leaves unset;
        ``deprecated_options``: ``DatalabService.backend_options`` (keyword arguments, the
        old way), each mapped onto its trait with a warning saying what to write instead."""
        settings = cls.class_traits(config=True)
        given = configured_names(parent.config, cls)
        for name, value in (defaults or {}).items():
            if name in settings and name not in given:
                kwargs[name] = value
        for name, value in (deprecated_options or {}).items():
            if name not in settings:
                raise ValueError(f"DatalabService.backend_options: {cls.__name__} has no setting "
                                 f"{name!r} (its settings: {', '.join(sorted(settings))})")
            parent.log.warning("DatalabService.backend_options is deprecated: write "
                               "c.%s.%s = %r instead", cls.__name__, name, value)
            kwargs[name] = value
        return cls(parent=parent, **kwargs)

    async def launch(self, companion: Companion, plan, credentials: dict | None = None) -> None:
        """Start ``companion`` as ``plan`` (a LaunchPlan) says. A catalog ``Launch`` is
        planned here first, with the owner's ``credentials`` (tests, benchmarks). Returns
        once the start is under way; ``status`` tells when it is ready. Raises BackendError."""
        from .plan import LaunchPlan, make_plan

        if not isinstance(plan, LaunchPlan):
            plan = make_plan(companion, plan, credentials, ui_prefix=getattr(self, "ui_prefix", ""))
        await self.start(companion, plan)

    @abc.abstractmethod
    async def start(self, companion: Companion, plan) -> None:
        """Run ``plan`` (``plan.LaunchPlan``) for ``companion``: set its ``secrets``,
        ``version`` and ``endpoint``. Raises BackendError."""

    @abc.abstractmethod
    async def status(self, companion: Companion) -> tuple[str, str]:
        """(status, message): one of STATUSES and a sentence (the last log lines when it
        crashed)."""

    @abc.abstractmethod
    async def logs(self, companion: Companion, tail: int = 200) -> list[str]:
        """The last ``tail`` lines of its log."""

    @abc.abstractmethod
    async def events(self, companion: Companion) -> list[dict]:
        """What happened to it: ``[{"time": epoch, "message": str}]``."""

    @abc.abstractmethod
    async def stop(self, companion: Companion) -> None:
        """Stop it, keeping its data, so it can be started again."""

    @abc.abstractmethod
    async def delete(self, companion: Companion) -> None:
        """Stop it and remove its data."""

    @abc.abstractmethod
    async def discover(self) -> list[Companion]:
        """Every companion this backend knows (running or stopped), after a restart."""

    @abc.abstractmethod
    def connection(self, companion: Companion) -> dict:
        """The variables a client needs (``DATABASE_URL``, ``MLFLOW_TRACKING_URI``...)."""

    @abc.abstractmethod
    def ui_target(self, companion: Companion) -> str | None:
        """The base URL of its web UI for the authenticated proxy, or None: ``http://...``,
        or ``http+unix://...`` (``unix_url``) for a UI listening on a Unix socket."""

    def via_proxy(self, companion: Companion) -> bool:
        """Do clients reach it only through the datalab's authenticated proxy (the
        ``{url}`` of its connection), with their own hub token as bearer? The local backend
        serves web UIs on Unix sockets nobody else reaches; on Kubernetes, network policies
        guard a companion's address instead."""
        return False

    async def share_changed(self, companion: Companion) -> None:
        """The owner shared or unshared ``companion`` (``project``, ``shared`` are set):
        open or close what members need to reach it. Nothing to do by default (the local
        backend's proxy checks the access rule at every request)."""
