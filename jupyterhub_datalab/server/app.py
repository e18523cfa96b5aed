"""``DatalabServerApp``: the datalab's jupyter-server extension, configured with traits.

Each setting is a trait (``c.DatalabServerApp.service_url``...), documented in the
configuration reference. Its default reads the variable the hub's spawner sets for the
server (``$DATALAB_SERVICE_URL``, ``$DATALAB_VAULT_ROLE``...), so a server started by the
hub is configured without any file, and a config file (``jupyter_server_config.py``, or
``jupyter_jupyterhub_datalab_config.py``) can still set each one. Handlers read them from
the app (``self.settings["jupyterhub_datalab"]``), never from ``os.environ``.
Seen before: nine environment knobs read here and there, documented nowhere.

The routes stay under ``{base_url}datalab/api/`` (``/user/<name>/datalab/api/...``).
"""

import asyncio
import os

from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import PeriodicCallback
from traitlets import Integer, List, Unicode, default

from .handlers import refresh_service_environment, routes
from .language import apply_language
from ..secrets import Secrets, SecretsError
from .storage import Storage


def _env(name, fallback=""):
    return os.environ.get(name, "").strip() or fallback


class DatalabServerApp(ExtensionApp):
    """The REST API behind the Datalab sidebar (storage, secrets, services, catalog)."""

    name = "jupyterhub_datalab"
    load_other_extensions = True

    service_url = Unicode(
        config=True,
        help="""URL of the datalab hub service (companion services, the catalog, share links),
        e.g. ``http://127.0.0.1:10101``. Empty: the Services panel says they are not set up.

        Default: ``$DATALAB_SERVICE_URL``, which the hub sets (``hubconfig.configure``).""",
    )

    @default("service_url")
    def _default_service_url(self):
        return _env("DATALAB_SERVICE_URL").rstrip("/")

    docs_url = Unicode(
        config=True,
        help="""Where the datalab's documentation is, linked from the welcome page.

        Default: ``$DATALAB_DOCS_URL``, which the hub sets.""",
    )

    @default("docs_url")
    def _default_docs_url(self):
        return _env("DATALAB_DOCS_URL")

    vault_role = Unicode(
        config=True,
        help="""Vault role this server logs in with again when its token has expired.

        Default: ``$DATALAB_VAULT_ROLE`` (the hub's ``DatalabCredentials`` setting), else
        ``datalab-user``.""",
    )

    @default("vault_role")
    def _default_vault_role(self):
        return _env("DATALAB_VAULT_ROLE", "datalab-user")

    vault_jwt_mount = Unicode(
        config=True,
        help="""Vault JWT auth mount of that login, e.g. ``jwt`` (``auth/jwt/login``).

        Default: ``$DATALAB_VAULT_JWT_MOUNT``, else ``jwt``.""",
    )

    @default("vault_jwt_mount")
    def _default_vault_jwt_mount(self):
        return _env("DATALAB_VAULT_JWT_MOUNT", "jwt")

    vault_renew_interval = Integer(
        15 * 60, min=60,
        config=True,
        help="""Seconds between two renewals of ``$VAULT_TOKEN``: kernels keep one token up to
        the role's max TTL (12 h) while it stays short-lived (1 h) if the server dies.""",
    )

    injected_keys = List(
        Unicode(),
        config=True,
        help="""Variables the spawner injected from the person's secrets: removed from new
        kernels once the secret is no longer injected.

        Default: ``$DATALAB_INJECTED_KEYS`` (comma-separated), which the spawner sets.""",
    )

    @default("injected_keys")
    def _default_injected_keys(self):
        return [k for k in _env("DATALAB_INJECTED_KEYS").split(",") if k]

    language = Unicode(
        config=True,
        help="""``en`` or ``fr``: JupyterLab's language until the person chooses one, and the
        language of API errors when the request says none (no browser language).

        Default: ``$DATALAB_LANGUAGE``, the hub's choice by the datalab's one rule (the spawn
        request's choice, else the browser's, else the login's ``locale`` claim).""",
    )

    @default("language")
    def _default_language(self):
        return _env("DATALAB_LANGUAGE")

    def initialize_settings(self):
        """The storage and secrets services the handlers share, JupyterLab's language, the
        Vault token kept alive, services' variables for new kernels."""
        self.settings["datalab_storage"] = Storage(service_url=self.service_url)
        self.settings["datalab_secrets"] = Secrets(vault_role=self.vault_role,
                                                   vault_jwt_mount=self.vault_jwt_mount)
        self.settings["datalab_injected_keys"] = set(self.injected_keys)
        apply_language(self.log, {"DATALAB_LANGUAGE": self.language})
        self._keep_vault_token_alive()
        self._discover_services_for_new_kernels()

    def initialize_handlers(self):
        self.handlers.extend(routes())
        self.log.info("jupyterhub-datalab server extension loaded")

    def _discover_services_for_new_kernels(self):
        """Before a kernel starts, fetch the connection variables of the user's services
        (``DATABASE_URL``, ``MLFLOW_TRACKING_URI``...): kernels inherit this environment."""
        manager = self.serverapp.kernel_manager
        start_kernel = manager.start_kernel

        async def start_kernel_with_services(*args, **kwargs):
            await refresh_service_environment(self, self.log)
            return await start_kernel(*args, **kwargs)

        manager.start_kernel = start_kernel_with_services

    def _keep_vault_token_alive(self):
        """Renew the server's Vault token (the one its kernels hold) every
        ``vault_renew_interval`` seconds."""
        secrets = self.settings["datalab_secrets"]
        if not secrets.configured:
            return

        async def renew():
            try:
                ttl = await asyncio.get_running_loop().run_in_executor(None, secrets.renew_token)
                self.log.debug("Vault token renewed for %d s", ttl)
            except SecretsError as e:
                self.log.warning("Could not renew the Vault token: %s", e.message)

        PeriodicCallback(renew, self.vault_renew_interval * 1000).start()
