"""jupyterhub-datalab: a self-service data-science platform built on JupyterHub."""

from ._version import __version__


def _jupyter_server_extension_points():
    """Load the datalab REST API (storage, secrets) in every single-user server: the
    ExtensionApp ``server.app.DatalabServerApp`` (imported here only: the hub never does)."""
    from .server import _jupyter_server_extension_points

    return _jupyter_server_extension_points()


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterhub-datalab"}]


__all__ = ["__version__"]
