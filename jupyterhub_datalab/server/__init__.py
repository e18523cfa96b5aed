"""The datalab jupyter-server extension: the REST API behind the Datalab sidebar.

Routes live under ``{base_url}datalab/api/``; every handler is an authenticated
``APIHandler`` so only the server's owner (via the hub's OAuth) reaches them. The
extension is :class:`~jupyterhub_datalab.server.app.DatalabServerApp`, a jupyter-server
``ExtensionApp`` whose settings are traits (``c.DatalabServerApp.*``).

jupyter_server is imported only when the extension loads: the hub imports this package's
framework-free modules (``secrets``, ``errors``) without it.
"""


def _jupyter_server_extension_points():
    """The extension, found by jupyter-server (``jpserver_extensions``: ``jupyterhub_datalab``)."""
    from .app import DatalabServerApp

    return [{"module": "jupyterhub_datalab.server", "app": DatalabServerApp}]
