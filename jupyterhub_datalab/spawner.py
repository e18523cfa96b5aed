"""Spawners that start a user's JupyterLab with the datalab extensions loaded.

``DatalabLocalSpawner`` is the embedded default: each user's server is a local
process whose home (and notebook directory) lives under a configurable root,
so files survive restarts. It runs every server as the hub's OS user: S3 and
Vault isolation come from per-user credentials, but local files are only as
separated as one OS account allows. Use it for one-machine platforms and demos;
use the Kubernetes spawner for multi-tenant production.
"""

import os

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Unicode, default


class DatalabLocalSpawner(SimpleLocalProcessSpawner):
    """Start each user's JupyterLab as a local process (the embedded default)."""

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

    def get_args(self):
        args = super().get_args()
        if os.geteuid() == 0 and "--allow-root" not in args:
            # jupyter-server refuses to run as root without it (containers, CI)
            args.append("--allow-root")
        return args

    def get_env(self):
        env = super().get_env()
        env["DATALAB_USER"] = self.user.name
        return env
