"""jupyterhub-datalab: a self-service data-science platform built on JupyterHub."""

from ._version import __version__


def _jupyter_server_extension_points():
    """Load the datalab REST API (storage, secrets) in every single-user server."""
    return [{"module": "jupyterhub_datalab.server"}]


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterhub-datalab"}]


__all__ = ["__version__"]
