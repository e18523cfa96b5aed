"""The datalab jupyter-server extension: the REST API behind the Datalab sidebar.

Routes live under ``{base_url}datalab/api/``; every handler is an authenticated
``APIHandler`` so only the server's owner (via the hub's OAuth) reaches them.
"""

from .handlers import setup_handlers


def _load_jupyter_server_extension(server_app):
    setup_handlers(server_app.web_app)
    server_app.log.info("jupyterhub-datalab server extension loaded")
