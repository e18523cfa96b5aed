"""Companion services and the catalog: the panels' calls forwarded to the datalab hub
service as this server's owner, and the services' connection variables for new kernels."""

import json
import os
from urllib.parse import urlencode

import tornado.web

from ...launch_urls import link
from ..errors import ServiceError
from .base import DatalabHandler

SERVICE_TIMEOUT = 30  # seconds: the service answers at once (launches go on in the background)


async def call_service(app, method, path, body=None, query="", timeout=SERVICE_TIMEOUT, language=None):
    """(status, body bytes) of a call to the hub service (``app.service_url``) as this
    server's owner; ``language``: the one its errors' ``message`` should be in.

    The server's own ``$JUPYTERHUB_API_TOKEN`` (scope ``access:services!service=datalab``)
    says who calls: the service acts for the server's owner, never for anybody else.
    """
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest

    base = app.service_url.rstrip("/")
    if not base:
        raise ServiceError(503, "Companion services are not set up on this platform (no datalab service).",
                           fr="Les services ne sont pas configurés sur cette plateforme (pas de service datalab).")
    url = f"{base}/api/{path.lstrip('/')}" + (f"?{query}" if query else "")
    headers = {"Authorization": f"token {os.environ.get('JUPYTERHUB_API_TOKEN', '')}",
               "Content-Type": "application/json"}
    if language:
        headers["Accept-Language"] = language
    request = HTTPRequest(url, method=method, body=body, allow_nonstandard_methods=True,
                          headers=headers, connect_timeout=min(10, timeout), request_timeout=timeout)
    try:
        r = await AsyncHTTPClient().fetch(request, raise_error=False)
    except OSError as e:
        raise _unreachable(e) from None
    if r.code == 599:
        raise _unreachable(r.error)
    return r.code, r.body or b""


def _unreachable(reason):
    return ServiceError(503, f"The datalab service cannot be reached ({reason}).",
                        fr=f"Le service datalab est injoignable ({reason}).")


class ServicesForwardHandler(DatalabHandler):
    """``datalab/api/services/<path>`` -> the hub service's ``api/<path>``, as this server's owner."""

    async def forward(self, path):
        body = self.request.body if self.request.method in ("POST", "PUT", "PATCH") else None
        status, answer = await call_service(self.datalab, self.request.method, path, body,
                                            self.request.query, language=self.asked_language())
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        if self.request.method != "GET" and status < 300:
            await refresh_service_environment(self.datalab, self.log)
        self.finish(answer)

    @tornado.web.authenticated
    async def get(self, path):
        await self.forward(path)

    @tornado.web.authenticated
    async def post(self, path):
        await self.forward(path)

    @tornado.web.authenticated
    async def delete(self, path):
        await self.forward(path)


async def refresh_service_environment(app, log):
    """New kernels see the connection variables of the owner's ready services (``api/env``).

    Called before every kernel start; variables of services gone are dropped again.
    """
    if not app.service_url:
        return
    try:
        status, answer = await call_service(app, "GET", "env", timeout=5)
        env = json.loads(answer)["env"] if status == 200 else None
    except (ServiceError, ValueError, KeyError) as e:
        log.warning("Companion services' variables not refreshed: %s", e)
        return
    if env is None:
        log.warning("Companion services' variables not refreshed: HTTP %s", status)
        return
    settings = app.settings
    previous = settings.get("datalab_service_keys", set())
    for key in previous - set(env):
        os.environ.pop(key, None)
    os.environ.update({k: str(v) for k, v in env.items()})
    settings["datalab_service_keys"] = set(env)


def hub_prefix():
    """The hub's URL prefix as the browser sees it (``/hub/`` under the hub's base URL)."""
    return os.environ.get("JUPYTERHUB_BASE_URL", "/").rstrip("/") + "/hub/"


class CatalogHandler(DatalabHandler):
    """``datalab/api/catalog?category=training``: the environments this user may start.

    Asked of the datalab hub service (the hub's catalog and access rules, one catalog
    model); each entry gets its launch link (``/hub/datalab/launch/<id>?server=<id>``),
    which opens the pre-filled spawn page of a server named after it. Also says where
    the documentation is (``DatalabServerApp.docs_url``, from the hub's ``$DATALAB_DOCS_URL``).
    """

    @tornado.web.authenticated
    async def get(self):
        query = {"kind": "environment"}
        category = self.get_argument("category", None)
        if category:
            query["category"] = category
        status, answer = await call_service(self.datalab, "GET", "catalog", query=urlencode(query),
                                            timeout=30, language=self.asked_language())
        try:
            data = json.loads(answer)
        except ValueError:
            data = {}
        if status != 200 or not isinstance(data, dict) or not isinstance(data.get("entries"), list):
            data = data if isinstance(data, dict) else {}
            raise ServiceError(status if status >= 400 else 502,
                               data.get("en") or data.get("message") or "The catalog could not be read.",
                               fr=data.get("fr") or "Le catalogue n'a pas pu être lu.")
        prefix = hub_prefix()
        for entry in data["entries"]:
            entry["launch"] = link(entry["id"], server=entry["id"], hub_prefix=prefix)
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"entries": data["entries"],
                                "docs_url": self.datalab.docs_url}))
