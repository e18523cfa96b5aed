"""HTTP handlers of the datalab server extension: handler -> service -> S3 / Vault.

Every handler is authenticated by jupyter-server (the hub's OAuth: only the
server's owner gets in); errors come back as JSON ``{"message": ...}`` in words.
One module per panel: ``storage`` (-> ``server/storage.py``), ``secrets``
(-> ``server/secrets.py``), ``services`` (companions and the catalog, forwarded to the
datalab hub service); ``base`` holds what they share. The routes are here.
"""

import json

import tornado.web
from jupyter_server.utils import url_path_join

from ..._version import __version__
from .base import DatalabHandler
from .secrets import (SecretActionHandler, SecretHandler, SecretListHandler, SecretSpacesHandler,
                      SecretValueHandler, refresh_kernel_environment)
from .services import (CatalogHandler, ServicesForwardHandler, call_service, hub_prefix,
                       refresh_service_environment, service_url)
from .storage import (FolderHandler, ListHandler, MoveHandler, ObjectHandler, PreviewHandler,
                      ShareHandler, SpacesHandler, UploadHandler)

__all__ = [
    "CatalogHandler", "DatalabHandler", "FolderHandler", "InfoHandler", "ListHandler",
    "MoveHandler", "ObjectHandler", "PreviewHandler", "SecretActionHandler", "SecretHandler",
    "SecretListHandler", "SecretSpacesHandler", "SecretValueHandler", "ServicesForwardHandler",
    "ShareHandler", "SpacesHandler", "UploadHandler", "call_service", "hub_prefix",
    "refresh_kernel_environment", "refresh_service_environment", "service_url", "setup_handlers",
]


class InfoHandler(DatalabHandler):
    """Who the sidebar talks to: the datalab version and the signed-in user."""

    @tornado.web.authenticated
    def get(self):
        user = self.current_user
        name = getattr(user, "username", None) or getattr(user, "name", None) or ""
        self.finish(json.dumps({"version": __version__, "user": name}))


def setup_handlers(web_app):
    base_url = web_app.settings["base_url"]
    api = url_path_join(base_url, "datalab", "api")
    space = r"/(?P<space>[a-z0-9-]{1,64})"
    web_app.add_handlers(".*$", [
        (url_path_join(api, "info"), InfoHandler),
        (url_path_join(api, "catalog"), CatalogHandler),
        (url_path_join(api, "storage", "spaces"), SpacesHandler),
        (url_path_join(api, "storage") + space + "/list", ListHandler),
        (url_path_join(api, "storage") + space + "/object", ObjectHandler),
        (url_path_join(api, "storage") + space + "/upload", UploadHandler),
        (url_path_join(api, "storage") + space + "/folder", FolderHandler),
        (url_path_join(api, "storage") + space + "/move", MoveHandler),
        (url_path_join(api, "storage") + space + "/share", ShareHandler),
        (url_path_join(api, "storage") + space + "/preview", PreviewHandler),
        (url_path_join(api, "secrets", "spaces"), SecretSpacesHandler),
        (url_path_join(api, "secrets") + space + "/list", SecretListHandler),
        (url_path_join(api, "secrets") + space + "/secret", SecretHandler),
        (url_path_join(api, "secrets") + space + "/value", SecretValueHandler),
        (url_path_join(api, "secrets") + space + r"/(?P<action>rename|restore|inject)", SecretActionHandler),
        (url_path_join(api, "services") + r"/(?P<path>.*)", ServicesForwardHandler),
    ])
