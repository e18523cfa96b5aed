"""The datalab jupyter-server extension: the REST API behind the Datalab sidebar.

Routes live under ``{base_url}datalab/api/``; every handler is an authenticated
``APIHandler`` so only the server's owner (via the hub's OAuth) reaches them.
"""

from .handlers import setup_handlers


VAULT_RENEW_SECONDS = 15 * 60


def _load_jupyter_server_extension(server_app):
    setup_handlers(server_app.web_app)
    _keep_vault_token_alive(server_app)
    server_app.log.info("jupyterhub-datalab server extension loaded")


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
