"""``DatalabService``: the hub-managed service behind the Services panel.

Run by the hub (``python -m jupyterhub_datalab.service``, see ``hubconfig.service``), it
reads the hub's environment (``JUPYTERHUB_API_TOKEN``, ``JUPYTERHUB_SERVICE_URL``,
``JUPYTERHUB_SERVICE_PREFIX``...) and a traitlets config file, usually the hub's own
``jupyterhub_config.py``: ``c.DatalabService.*``, ``c.DatalabCatalog.*`` and
``c.DatalabCredentials.*`` (S3 and Vault, shared with the spawners) live beside the hub's
settings.
"""

import asyncio
import inspect
import logging
import os
import secrets
import signal
import threading
import typing
from pathlib import Path
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuthCallbackHandler
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.ioloop import PeriodicCallback
from traitlets import Bool, Dict, Float, Instance, Integer, Type, Unicode, default
from traitlets.config import Application

from .._version import __version__
from ..catalog import DatalabCatalog
from ..companions import Backend
from ..companions.kubernetes import KubernetesBackend
from ..companions.local import LocalBackend
from ..credentials import DatalabCredentials
from .handlers import api_handlers
from .share import ShareSigner
from .hub import HubUsers
from .manager import CompanionManager
from .apps import AppOrigins
from .proxy import app_origin_handlers, ui_handlers
from .store import Store


class DatalabService(Application):
    name = "datalab-service"
    description = "The datalab hub service: companion services (launch, watch, open, share)."
    version = __version__

    aliases: typing.ClassVar[dict] = {"config": "DatalabService.config_file", "state-dir": "DatalabService.state_dir",
               "log-level": "Application.log_level"}
    # the sections --help-all and a generated config show: the shared ones and the backends'
    classes: typing.ClassVar[list] = [DatalabCatalog, DatalabCredentials, LocalBackend, KubernetesBackend]
    # a config file that fails to load must stop the service, not leave it half-configured
    raise_config_file_errors = True

    @default("log_level")
    def _default_log_level(self):
        return logging.INFO

    config_file = Unicode(
        "", config=True,
        help="""A traitlets config file to load, usually the hub's ``jupyterhub_config.py``
        (its ``c.DatalabService``, ``c.DatalabCatalog`` and ``c.DatalabCredentials`` sections
        apply here).""",
    )

    backend_class = Type(
        "jupyterhub_datalab.companions.local.LocalBackend", klass=Backend, config=True,
        help="""How companions run: ``jupyterhub_datalab.companions.local.LocalBackend``
        (supervised processes on this machine, the embedded default) or
        ``jupyterhub_datalab.companions.kubernetes.KubernetesBackend``.""",
    )

    backend_options = Dict(
        config=True,
        help="""Deprecated: configure the backend class itself, as any traitlets class
        (``c.LocalBackend.root = "/srv/datalab/services/local"``,
        ``c.KubernetesBackend.storage_class = "fast-ssd"``). Each key given here is still
        set on the backend's setting of that name, with a warning saying what to write.""",
    )

    state_dir = Unicode(
        config=True,
        help="""Where the service keeps one private JSON file per companion in ``companions/`` (owner, options,
        generated passwords, whether it should run), so a restart finds them all again.
        ``datalab up`` uses ``<state-dir>/services``.""",
    )

    @default("state_dir")
    def _default_state_dir(self):
        return os.path.abspath("datalab-services")

    service_prefix = Unicode(
        config=True,
        help="""The URL path the service is reached at through the proxy. Default: the hub's
        ``$JUPYTERHUB_SERVICE_PREFIX``, else ``/services/datalab/``.""",
    )

    @default("service_prefix")
    def _default_prefix(self):
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or "/services/datalab/"
        return prefix if prefix.endswith("/") else prefix + "/"

    bind_url = Unicode(
        config=True,
        help="""Where to listen. Default: the hub's ``$JUPYTERHUB_SERVICE_URL`` (the ``url`` of
        the service in ``c.JupyterHub.services``), else ``http://127.0.0.1:10101``.""",
    )

    @default("bind_url")
    def _default_bind_url(self):
        return os.environ.get("JUPYTERHUB_SERVICE_URL") or "http://127.0.0.1:10101"

    apps_url = Unicode(
        "", config=True,
        help="""The own origin of each companion's web UI, as a template with ``{name}`` and
        ``{owner}``: ``https://{name}--{owner}.apps.example.org`` (a wildcard DNS name and
        certificate routed to ``apps_bind_url``), or on one machine
        ``http://{name}--{owner}.apps.localhost:8016`` (browsers resolve ``*.localhost``
        themselves). Apps are untrusted code: on the hub's origin their JavaScript could act
        as their visitor. Empty: UIs stay on the hub's origin, protected only by the cookie
        allowlist (not recommended; the service logs a warning).""",
    )

    apps_bind_url = Unicode(
        "", config=True,
        help="""Where the listener of the apps' origins binds, e.g. ``http://0.0.0.0:8016``. It
        serves nothing but companions' UIs. Required with ``apps_url``.""",
    )

    hub_url = Unicode(
        "", config=True,
        help="""The hub's public address (``https://datalab.example.org``): an app's origin sends
        visitors there to be recognised. Required with ``apps_url``.""",
    )

    poll_interval = Float(
        2.0, config=True,
        help="Seconds between two status checks of the running companions (progress, crashes).",
    )

    stop_on_exit = Bool(
        False, config=True,
        help="""Stop every running companion when the service stops (they are started again,
        with their data, when it comes back). ``datalab up`` sets it so that stopping the
        stack leaves no process behind; on Kubernetes companions keep running through a
        restart of the hub.""",
    )

    exit_timeout = Float(
        3.0, config=True,
        help="""Seconds the service may take, once its companions are dealt with, to close its
        clients and exit; past them it exits at once. JupyterHub waits 10 s for a managed
        service to stop before it signals again, so keep this well below.""",
    )

    max_services_per_user = Integer(
        10, config=True,
        help="How many companions one user may have at once (running or stopped).",
    )

    share_signer_file = Unicode(
        "", config=True,
        help="""A JSON file ``{"access_key": ..., "secret_key": ...}`` of an S3 identity that can
        only read, with which the service signs share links (``api/links``), after checking
        that the caller may read the bucket. Links then last what they say, up to 7 days; a
        link signed with a user's STS session dies with it. Empty: users' servers sign with
        their session and cap the link's lifetime to it, saying so. ``datalab up`` makes one.""",
    )
    catalog = Instance(DatalabCatalog)

    @default("catalog")
    def _default_catalog(self):
        return DatalabCatalog(parent=self)

    credentials = Instance(DatalabCredentials)

    @default("credentials")
    def _default_credentials(self):
        # c.DatalabCredentials, the same settings as the spawners'
        return DatalabCredentials(parent=self)

    backend = Instance(Backend, allow_none=True)

    def initialize(self, argv=None):
        super().initialize(argv)
        if self.config_file:
            path = Path(self.config_file)
            self.load_config_file(path.name, path=str(path.parent))  # the command line still wins
        self.init_backend()

    def init_backend(self):
        """The backend, configured by its own section (``c.LocalBackend``...); what this
        service knows fills the settings that section leaves unset."""
        known = {"root": str(Path(self.state_dir) / "local"),
                 "ui_prefix": self.service_prefix + "open/{owner}/{name}"}
        if self.hub_url:  # where kernels reach a UI through the proxy, with their token
            known["client_url"] = self.hub_url.rstrip("/") + self.service_prefix + "open/{owner}/{name}"
        self.backend = self.backend_class.configured(self, known, self.backend_options,
                                                     catalog=self.catalog)

    def share_signer(self):
        s3 = self.credentials
        if not (self.share_signer_file and s3.s3_endpoint):
            return None
        return ShareSigner(s3.s3_endpoint, s3.s3_region, self.share_signer_file)

    def cookie_secret(self):
        path = Path(self.state_dir) / "cookie-secret"
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.chmod(0o700)  # passwords of companions are kept below
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
        return path.read_text().strip()

    def make_app(self):
        prefix = self.service_prefix
        self.manager = CompanionManager(self, self.backend, self.catalog, Store(Path(self.state_dir) / "companions"),
                                        HubUsers(log=self.log), self.log)
        handlers = [
            (prefix + "oauth_callback", HubOAuthCallbackHandler),
            *api_handlers(prefix),
            *ui_handlers(prefix),
        ]
        settings = {"cookie_secret": self.cookie_secret(), "datalab_manager": self.manager,
                    "log_function": self._log_request, "datalab_apps": self.app_origins(),
                    "datalab_config": self, "datalab_share_signer": self.share_signer()}
        return web.Application(handlers, **settings)

    def app_origins(self):
        if not self.apps_url:
            self.log.warning("DatalabService.apps_url is not set: companion web UIs are served on the "
                             "hub's origin, where an app's JavaScript can act as its visitor")
            return None
        if not (self.apps_bind_url and self.hub_url):
            raise ValueError("DatalabService.apps_url needs apps_bind_url (where to listen) and "
                             "hub_url (the hub's public address)")
        return AppOrigins(self.apps_url, self.hub_url, self.cookie_secret())

    def make_apps_app(self, hub_app):
        """The listener of the apps' origins: companions' UIs only, nothing of the hub."""
        return web.Application(app_origin_handlers(self.service_prefix), **hub_app.settings)

    def _log_request(self, handler):
        status = handler.get_status()
        level = self.log.error if status >= 500 else self.log.info if status >= 400 else self.log.debug
        level("%d %s %s %.1f ms", status, handler.request.method, handler.request.path,
              1000 * handler.request.request_time())

    async def run(self):
        app = self.make_app()
        await self.manager.load()
        url = urlparse(self.bind_url)
        server = HTTPServer(app, xheaders=True, max_body_size=512 * 1024 * 1024)
        server.listen(url.port or 80, url.hostname or "127.0.0.1")
        servers = [server]
        if app.settings["datalab_apps"] is not None:
            apps_url = urlparse(self.apps_bind_url)
            apps_server = HTTPServer(self.make_apps_app(app), xheaders=True, max_body_size=512 * 1024 * 1024)
            apps_server.listen(apps_url.port or 80, apps_url.hostname or "127.0.0.1")
            servers.append(apps_server)
            self.log.info("companion UIs on their own origins %s (listening at %s)", self.apps_url,
                          self.apps_bind_url)
        self.log.info("datalab service %s at %s%s (backend %s, state in %s)", __version__,
                      self.bind_url.rstrip("/"), self.service_prefix, type(self.backend).__name__,
                      self.state_dir)
        resume = asyncio.ensure_future(self.manager.resume())
        polling = False

        async def poll():
            nonlocal polling
            if polling:
                return
            polling = True
            try:
                await self.manager.poll()
            finally:
                polling = False

        poller = PeriodicCallback(poll, self.poll_interval * 1000)
        poller.start()
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        await stopping.wait()
        self.log.info("datalab service stopping")
        poller.stop()
        resume.cancel()
        for each in servers:
            each.stop()
        if self.stop_on_exit:
            await self.manager.stop_all()
        # the real work is done: what is left (closing clients, the loop's last tasks and
        # threads) must not hold the exit. Seen: on the emulated cluster the service sat
        # 20-30 s after "stopping" until the hub killed it, and the hub with it.
        exit_after(self.log, self.exit_timeout)
        close = getattr(self.backend, "close", None)  # e.g. API clients
        if close is not None:
            result = close()
            if inspect.isawaitable(result):
                await result

    def start(self):
        # a managed service lives and dies with its hub (which restarts it): if the hub is
        # killed outright, stop too (companions stop cleanly when stop_on_exit says so)
        from ..devstack.process import die_with_parent

        die_with_parent()
        asyncio.run(self.run())


def exit_after(log, seconds):
    """Exit the process ``seconds`` from now unless it has exited by then (a daemon timer, so
    it also fires when the event loop is gone or a thread holds the interpreter's exit)."""
    def now():
        log.warning("datalab service: not stopped %s s after its work was done; exiting now", seconds)
        for handler in logging.getLogger().handlers + log.handlers:
            handler.flush()
        os._exit(0)

    timer = threading.Timer(seconds, now)
    timer.daemon = True
    timer.start()


def main(argv=None):
    DatalabService.launch_instance(argv)
