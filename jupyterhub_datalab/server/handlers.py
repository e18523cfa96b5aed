"""HTTP handlers of the datalab server extension."""

import json

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from .._version import __version__


class InfoHandler(APIHandler):
    """Who the sidebar talks to: the datalab version and the signed-in user."""

    @tornado.web.authenticated
    def get(self):
        user = self.current_user
        name = getattr(user, "username", None) or getattr(user, "name", None) or ""
        self.finish(json.dumps({"version": __version__, "user": name}))


def setup_handlers(web_app):
    base_url = web_app.settings["base_url"]
    route = url_path_join(base_url, "datalab", "api")
    web_app.add_handlers(".*$", [(url_path_join(route, "info"), InfoHandler)])
