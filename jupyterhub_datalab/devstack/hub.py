"""JupyterHub behind configurable-http-proxy, logging in through the OIDC provider.

The proxy is npm's configurable-http-proxy (bundled, run with ``node``): it streams
request and response bodies, so multi-GB uploads and downloads cost it no memory.
"""

import os
import sys

from .nodejs import node_command
from .oidc import HUB_CLIENT_ID
from .process import Component, http_status, installed_command


IDENTITY_KEY = "hub/identity-key.pem"


def identity_issuer(ports):
    """Where the hub serves the datalab identity issuer (JWKS, discovery)."""
    return ports.url("proxy") + "/hub/datalab"


def proxy_component(state, ports):
    token = state.secret("hub/proxy-auth-token")
    argv = [
        *node_command("configurable-http-proxy.mjs"),
        "--ip", "127.0.0.1", "--port", ports["proxy"],
        "--api-ip", "127.0.0.1", "--api-port", ports["proxy_api"],
        "--default-target", ports.url("hub"),
        "--error-target", ports.url("hub") + "/hub/error",
    ]
    api = ports.url("proxy_api")
    return Component(
        "configurable-http-proxy",
        argv,
        state / "logs/proxy.log",
        env={**os.environ, "CONFIGPROXY_AUTH_TOKEN": token},
        ready=lambda: http_status(f"{api}/api/routes", {"Authorization": f"token {token}"}) == 200,
        url=ports.url("proxy"),
    )


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
        "c.ConfigurableHTTPProxy.should_start = False",
        f"c.ConfigurableHTTPProxy.api_url = {ports.url('proxy_api')!r}",
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
        f"c.DatalabLocalSpawner.s3_endpoint = {ports.url('s3')!r}",
        f"c.DatalabLocalSpawner.vault_addr = {ports.url('vault')!r}",
        "# one machine: bounds that fit it; GPU environments for the `gpu` project only",
        "c.DatalabCatalog.option_overrides = {'cpu': {'maximum': 2}, 'memory': {'maximum': 8}}",
        "c.DatalabCatalog.access = {'jupyter-pytorch-gpu': {'groups': ['gpu']}}",
        "# companion services: local processes, data in <state>/services, stopped with the stack",
        "c.DatalabService.backend_class = 'jupyterhub_datalab.companions.local.LocalBackend'",
        f"c.DatalabService.state_dir = {str(services)!r}",
        (f"c.DatalabService.backend_options = {{'root': {str(services / 'local')!r}, "
         f"'workspaces': {str(state / 'users') + '/{owner}'!r}}}"),
        "c.DatalabService.stop_on_exit = True",
        f"c.DatalabService.s3_endpoint = {ports.url('s3')!r}",
        f"c.DatalabService.vault_addr = {ports.url('vault')!r}",
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
        "CONFIGPROXY_AUTH_TOKEN": state.secret("hub/proxy-auth-token"),
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
