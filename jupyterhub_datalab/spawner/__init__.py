"""Spawners that start what a user chose in the catalog, with their credentials.

``CatalogMixin`` is the profile logic, written once for every spawner: the spawn
page (catalog cards, then the entry's options as a form), the server-side check of
every option (form posts and the REST API alike go through ``apply_user_options``),
and progress messages. Each spawner only says how to run a checked ``Launch``.

``CredentialsMixin`` is written once for every spawner: at each start it exchanges
the user's datalab identity token for S3 and Vault credentials (where they are:
``c.DatalabCredentials``, shared with the datalab service) and hands them to
the server as the standard environment variables (boto3, s3fs, pandas, duckdb and
hvac work with no configuration), plus Onyxia's names so Onyxia images work as is.

``DatalabLocalSpawner`` is the embedded default: each user's server is a local
process whose home lives under a configurable root, so files survive restarts.
It runs every server as the hub's OS user: S3 and Vault isolation come from
per-user credentials, but local files are only as separated as one OS account
allows. Use it for one-machine platforms and demos; use Kubernetes for
multi-tenant production.

The mixins live in ``profiles`` (``CatalogMixin``) and ``credentials``
(``CredentialsMixin``); ``DatalabLocalSpawner`` is here, and every name stays importable
from ``jupyterhub_datalab.spawner``.
"""

import asyncio
import os

from jupyterhub.spawner import SimpleLocalProcessSpawner
from tornado import web
from traitlets import Bool, List, Unicode, default

from .. import sandbox, trainings
from .credentials import CredentialsMixin
from .profiles import CatalogMixin

__all__ = ["CatalogMixin", "CredentialsMixin", "DatalabLocalSpawner"]


class DatalabLocalSpawner(CatalogMixin, CredentialsMixin, SimpleLocalProcessSpawner):
    """Start each user's environment as a local process (the embedded default).

    An entry runs here when its ``local`` section says how and what it needs is
    installed; other entries are shown unavailable with the reason and the fix.
    """

    home_dir_template = Unicode(
        "~/.local/share/datalab/users/{username}",
        config=True,
        help="""
        Where each user's home (their JupyterLab file browser root) lives.
        ``{username}`` is the JupyterHub username; ``~`` expands to the hub's home.
        ``datalab up`` sets it to ``<state-dir>/users/{username}``.
        """,
    )

    @default("home_dir")
    def _default_home_dir(self):
        return os.path.expanduser(self.home_dir_template.format(username=self.user.name))

    @default("default_url")
    def _default_url_default(self):
        return "/lab"

    def unavailable(self, entry):
        return entry.local_unavailable()

    async def apply_launch(self, launch):
        local = launch.entry.local
        if local.get("cmd") and local["cmd"][0] != "jupyterhub-singleuser":
            self.cmd = list(local["cmd"])  # else the admin's (or datalab up's) singleuser command
        if local.get("default_url"):
            self.default_url = local["default_url"]
        # advisory here (one OS account): published as CPU_LIMIT / MEM_LIMIT like every spawner
        self.cpu_limit = launch.cpu
        self.mem_limit = int(launch.memory * 1024**3) if launch.memory else None
        self.environment = {**self.environment, **local.get("env", {})}

    async def put_training_material(self, launch, folder):
        # the home is the server's root: copy (or clone) straight into it, as the hub's user
        dest = os.path.join(self.home_dir, folder)
        copied = await asyncio.get_running_loop().run_in_executor(
            None, trainings.put_material, launch.entry, dest)
        self.log.info("Training %s for %s: %d files copied into %s", launch.entry.id,
                      self._log_name, len(copied), dest)

    sandbox = Bool(
        False, config=True,
        help="""Run each user's server in a bubblewrap sandbox (Debian ``bubblewrap``), as a
        multi-user machine separates its users: a PID namespace of its own (no other user's
        processes, so no other user's credentials in ``/proc/*/environ``), no capabilities,
        the whole filesystem read-only but the user's home, a private ``/tmp``, and the
        ``sandbox_hidden_paths`` replaced by empty directories (the state dir's keys, other
        users' homes). ``datalab up`` turns it on when ``bwrap`` is installed and says so
        when it is not. The network stays shared: S3, Vault and the hub are reached over it.""",
    )

    sandbox_hidden_paths = List(
        Unicode(), config=True,
        help="""What the sandbox hides, each replaced by an empty directory; the user's home,
        the Python environment and the datalab's own code are put back read-only when they
        lie below one. ``datalab up``: its state dir.""",
    )

    def sandboxed(self, cmd):
        """``cmd`` inside bubblewrap (``sandbox``), or a clear error when bwrap is missing."""
        try:
            return sandbox.bwrap_argv(cmd, writable=[self.home_dir], hidden=self.sandbox_hidden_paths,
                                      chdir=self.home_dir)
        except sandbox.SandboxUnavailable as e:
            raise web.HTTPError(500, str(e)) from None

    async def start(self):
        if not self.sandbox:
            return await super().start()
        cmd = list(self.cmd)
        self.cmd = self.sandboxed(cmd)
        try:
            return await super().start()
        finally:
            self.cmd = cmd

    def get_args(self):
        args = super().get_args()
        if os.geteuid() == 0 and "--allow-root" not in args:
            # jupyter-server refuses to run as root without it (containers, CI)
            args.append("--allow-root")
        return args
