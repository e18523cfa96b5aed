"""The one-line hub setup::

    # jupyterhub_config.py
    from jupyterhub_datalab.hubconfig import configure; configure(c)

then set the few things only you know (``c.DatalabOAuthenticator.issuer``,
``client_id``, ...). ``datalab up`` writes its hub config the same way.

With ``service_url``, the datalab service (companion services, the Services panel) is
registered as a hub-managed service at ``/services/datalab/``; its own settings
(``c.DatalabService.*``) go in the same file, which the service reads too, as it reads
``c.DatalabCatalog`` and ``c.DatalabCredentials`` (S3 and Vault, set once for both).
"""

import os
import sys

from .serverlimit import NamedServerLimit

SERVICE_NAME = "datalab"
# what an in-cluster Kubernetes client reads (kubernetes_asyncio's load_incluster_config)
CLUSTER_ENV = ("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT")

# What a user's server may do with its $JUPYTERHUB_API_TOKEN: the usual
# (activity, access to itself) plus reading its own user's auth_state, which is
# how the server gets fresh OIDC tokens for S3 and Vault. `!user` confines it to
# the server's owner: alice's server never reads bob's tokens.
SERVER_TOKEN_SCOPES = [
    "users:activity!user",
    "access:servers!server",
    "read:users:name!user",
    "read:users:groups!user",
    "admin:auth_state!user",
    # the Services panel's calls, forwarded by the server to the datalab service
    f"access:services!service={SERVICE_NAME}",
]

# What the datalab service may ask the hub: who a user is and their projects
# (read:users), and their identity token to get S3 credentials for the companions
# they launch (MLflow's artifacts in their own space).
SERVICE_SCOPES = ["read:users", "admin:auth_state"]


def configure(c, spawner="datalab-local", service_url=None, config_file=None, docs_url=None):
    """Apply the datalab's hub settings to the config object ``c``.

    ``docs_url``: where the datalab's documentation is published; JupyterLab's Datalab
    welcome page links to it.

    ``service_url``: where the datalab service listens (e.g. ``http://127.0.0.1:10101``);
    the hub starts it and users' servers call it there. ``config_file``: the file the
    service reads its settings from (this hub config file, usually).
    """
    c.JupyterHub.authenticator_class = "datalab"
    c.JupyterHub.spawner_class = spawner
    # users hold their own auth_state scope so their servers can be given it, and may
    # use the datalab service (their servers' tokens carry it for the Services panel)
    c.JupyterHub.load_roles = [
        {"name": "user", "scopes": ["self", "admin:auth_state!user",
                                    f"access:services!service={SERVICE_NAME}"]},
    ]
    if service_url:
        service(c, service_url, config_file)
    if docs_url:
        # the JupyterLab welcome page links to the user guide there
        c.Spawner.environment = {**c.Spawner.get("environment", {}), "DATALAB_DOCS_URL": docs_url}
    c.Spawner.server_token_scopes = list(SERVER_TOKEN_SCOPES)
    # several environments at once: /user/<name>/<server>/
    c.JupyterHub.allow_named_servers = True
    # refused or never-started servers do not count (serverlimit)
    c.JupyterHub.named_server_limit_per_user = NamedServerLimit(5)
    c.Authenticator.refresh_pre_spawn = True
    c.Authenticator.auth_refresh_age = 300
    launch_links(c)
    return c


def launch_links(c):
    """Serve launch links at ``/hub/datalab/launch/<entry>`` (``launchlinks``): the hub
    page that pre-fills the spawn form. JupyterHub logs that ``extra_handlers`` is
    deprecated; a service could not render the hub's own spawn page and session."""
    from .launchlinks import PATH, LaunchHandler

    handlers = [h for h in c.JupyterHub.get("extra_handlers", []) if h[0] != PATH]
    c.JupyterHub.extra_handlers = [*handlers, (PATH, LaunchHandler)]
    return c


def service(c, url, config_file=None):
    """Register the datalab service as a hub-managed service and give it its role."""
    command = [sys.executable, "-m", "jupyterhub_datalab.service"]
    if config_file:
        command += ["--config", str(config_file)]
    services = [s for s in c.JupyterHub.get("services", []) if s.get("name") != SERVICE_NAME]
    c.JupyterHub.services = [*services, {
        "name": SERVICE_NAME,
        "url": url,
        "command": command,
        # a managed service gets only JupyterHub's env_keep and this: in a pod, the API
        # server's address too, or in-cluster config fails ("Service host/port is not set")
        "environment": {k: os.environ[k] for k in CLUSTER_ENV if k in os.environ},
        "oauth_no_confirm": True,  # part of the platform: no "authorize access" page
        "display": False,
    }]
    c.JupyterHub.load_roles = [*c.JupyterHub.load_roles, {
        "name": "datalab-service", "description": "The datalab service: users' projects and S3 identity",
        "scopes": list(SERVICE_SCOPES), "services": [SERVICE_NAME],
    }]
    # where users' servers forward the Services panel's calls and ask for discovered variables
    c.Spawner.environment = {**c.Spawner.get("environment", {}),
                             "DATALAB_SERVICE_URL": url.rstrip("/") + f"/services/{SERVICE_NAME}/"}
    return c
