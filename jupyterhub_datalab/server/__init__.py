"""The datalab jupyter-server extension: the REST API behind the Datalab sidebar.

Routes live under ``{base_url}datalab/api/``; every handler is an authenticated
``APIHandler`` so only the server's owner (via the hub's OAuth) reaches them.

jupyter_server is imported only when the extension loads: the hub imports this package's
framework-free modules (``secrets``, ``errors``) without it.
"""


VAULT_RENEW_SECONDS = 15 * 60


def _load_jupyter_server_extension(server_app):
    from .handlers import setup_handlers
    from .language import apply_language

    setup_handlers(server_app.web_app)
    apply_language(server_app.log)
    _keep_vault_token_alive(server_app)
    _discover_services_for_new_kernels(server_app)
    server_app.log.info("jupyterhub-datalab server extension loaded")


def _discover_services_for_new_kernels(server_app):
    """Before a kernel starts, fetch the connection variables of the user's services
    (``DATABASE_URL``, ``MLFLOW_TRACKING_URI``...): kernels inherit this environment."""
    from .handlers import refresh_service_environment

    manager = server_app.kernel_manager
    start_kernel = manager.start_kernel

    async def start_kernel_with_services(*args, **kwargs):
        await refresh_service_environment(server_app.web_app.settings, server_app.log)
        return await start_kernel(*args, **kwargs)

    manager.start_kernel = start_kernel_with_services


def _keep_vault_token_alive(server_app):
    """Renew $VAULT_TOKEN every 15 minutes: kernels keep the same token for up to
    the role's max TTL (12 h) while it stays short-lived (1 h) if the server dies."""
    import asyncio

    from tornado.ioloop import PeriodicCallback

    from .secrets import Secrets, SecretsError

    secrets = Secrets()
    if not secrets.configured:
        return

    async def renew():
        try:
            ttl = await asyncio.get_running_loop().run_in_executor(None, secrets.renew_token)
            server_app.log.debug("Vault token renewed for %d s", ttl)
        except SecretsError as e:
            server_app.log.warning("Could not renew the Vault token: %s", e.message)

    PeriodicCallback(renew, VAULT_RENEW_SECONDS * 1000).start()
