"""HTTP handlers of the datalab server extension: handler -> service -> S3 / Vault.

Every handler is authenticated by jupyter-server (the hub's OAuth: only the
server's owner gets in); errors come back as JSON ``{"message": ...}`` in words.
One module per panel: ``storage`` (-> ``server/storage.py``), ``secrets``
(-> ``secrets.py``, in the core), ``services`` (companions and the catalog, forwarded to the
datalab hub service); ``base`` holds what they share. The routes are here.
"""

import json

import tornado.web

from ..._version import __version__
from .base import DatalabHandler
from .secrets import (
    SecretActionHandler,
    SecretHandler,
    SecretListHandler,
    SecretSpacesHandler,
    SecretValueHandler,
    refresh_kernel_environment,
)
from .services import (
    CatalogHandler,
    ServicesForwardHandler,
    call_service,
    hub_prefix,
    refresh_service_environment,
)
from .storage import (
    FolderHandler,
    ListHandler,
    MoveHandler,
    ObjectHandler,
    PreviewHandler,
    ShareHandler,
    SpacesHandler,
    UploadHandler,
)

__all__ = [
    "CatalogHandler", "DatalabHandler", "FolderHandler", "InfoHandler", "ListHandler",
    "MoveHandler", "ObjectHandler", "PreviewHandler", "SecretActionHandler", "SecretHandler",
    "SecretListHandler", "SecretSpacesHandler", "SecretValueHandler", "ServicesForwardHandler",
    "ShareHandler", "SpacesHandler", "UploadHandler", "call_service", "hub_prefix",
    "refresh_kernel_environment", "refresh_service_environment", "routes",
]


class InfoHandler(DatalabHandler):
    """Who the sidebar talks to: the datalab version and the signed-in user."""

    @tornado.web.authenticated
    def get(self):
        user = self.current_user
        name = getattr(user, "username", None) or getattr(user, "name", None) or ""
        self.finish(json.dumps({"version": __version__, "user": name}))


def routes():
    """The extension's routes, relative to the server's base URL (``DatalabServerApp``
    prefixes it): ``/user/<name>/datalab/api/...``."""
    api = "datalab/api"
    space = r"/(?P<space>[a-z0-9-]{1,64})"
    return [
        (f"{api}/info", InfoHandler),
        (f"{api}/catalog", CatalogHandler),
        (f"{api}/storage/spaces", SpacesHandler),
        (f"{api}/storage{space}/list", ListHandler),
        (f"{api}/storage{space}/object", ObjectHandler),
        (f"{api}/storage{space}/upload", UploadHandler),
        (f"{api}/storage{space}/folder", FolderHandler),
        (f"{api}/storage{space}/move", MoveHandler),
        (f"{api}/storage{space}/share", ShareHandler),
        (f"{api}/storage{space}/preview", PreviewHandler),
        (f"{api}/secrets/spaces", SecretSpacesHandler),
        (f"{api}/secrets{space}/list", SecretListHandler),
        (f"{api}/secrets{space}/secret", SecretHandler),
        (f"{api}/secrets{space}/value", SecretValueHandler),
        (f"{api}/secrets{space}" + r"/(?P<action>rename|restore|inject)", SecretActionHandler),
        (f"{api}/services" + r"/(?P<path>.*)", ServicesForwardHandler),
    ]
