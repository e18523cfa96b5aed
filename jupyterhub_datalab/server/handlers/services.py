"""Companion services and the catalog: the panels' calls forwarded to the datalab hub
service as this server's owner, and the services' connection variables for new kernels."""

import json
import os
from urllib.parse import urlencode

import tornado.web

from ...launch_urls import link
from .base import DatalabHandler

SERVICE_TIMEOUT = 30  # seconds: the service answers at once (launches go on in the background)


def service_url():
    """Where the datalab hub service is (the hub sets ``$DATALAB_SERVICE_URL``), or ''."""
    return os.environ.get("DATALAB_SERVICE_URL", "").rstrip("/")


async def call_service(method, path, body=None, query="", timeout=SERVICE_TIMEOUT):
    """(status, body bytes) of a call to the hub service as this server's owner.

    The server's own ``$JUPYTERHUB_API_TOKEN`` (scope ``access:services!service=datalab``)
    says who calls: the service acts for the server's owner, never for anybody else.
    """
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest

    base = service_url()
    if not base:
        raise tornado.web.HTTPError(503, reason="Companion services are not set up on this "
                                    "platform (no datalab service). / Les services ne sont pas "
                                    "configurés sur cette plateforme.")
    url = f"{base}/api/{path.lstrip('/')}" + (f"?{query}" if query else "")
    request = HTTPRequest(url, method=method, body=body, allow_nonstandard_methods=True,
                          headers={"Authorization": f"token {os.environ.get('JUPYTERHUB_API_TOKEN', '')}",
                                   "Content-Type": "application/json"},
                          connect_timeout=min(10, timeout), request_timeout=timeout)
    try:
        r = await AsyncHTTPClient().fetch(request, raise_error=False)
    except OSError as e:
        raise tornado.web.HTTPError(503, reason=f"The datalab service cannot be reached ({e}). / "
                                    f"Le service datalab est injoignable ({e}).") from None
    if r.code == 599:
        raise tornado.web.HTTPError(503, reason=f"The datalab service cannot be reached ({r.error}). / "
                                    f"Le service datalab est injoignable ({r.error}).")
    return r.code, r.body or b""


class ServicesForwardHandler(DatalabHandler):
    """``datalab/api/services/<path>`` -> the hub service's ``api/<path>``, as this server's owner."""

    async def forward(self, path):
        body = self.request.body if self.request.method in ("POST", "PUT", "PATCH") else None
        status, answer = await call_service(self.request.method, path, body, self.request.query)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        if self.request.method != "GET" and status < 300:
            await refresh_service_environment(self.settings, self.log)
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


async def refresh_service_environment(settings, log):
    """New kernels see the connection variables of the owner's ready services (``api/env``).

    Called before every kernel start; variables of services gone are dropped again.
    """
    if not service_url():
        return
    try:
        status, answer = await call_service("GET", "env", timeout=5)
        env = json.loads(answer)["env"] if status == 200 else None
    except (tornado.web.HTTPError, ValueError, KeyError) as e:
        log.warning("Companion services' variables not refreshed: %s", getattr(e, "reason", e))
        return
    if env is None:
        log.warning("Companion services' variables not refreshed: HTTP %s", status)
        return
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
    the documentation is (``$DATALAB_DOCS_URL``, set by ``hubconfig.configure``).
    """

    @tornado.web.authenticated
    async def get(self):
        query = {"kind": "environment"}
        category = self.get_argument("category", None)
        if category:
            query["category"] = category
        status, answer = await call_service("GET", "catalog", query=urlencode(query), timeout=30)
        try:
            data = json.loads(answer)
        except ValueError:
            data = {}
        if status != 200 or not isinstance(data.get("entries"), list):
            raise tornado.web.HTTPError(status if status >= 400 else 502, reason=data.get("message") or
                                        "The catalog could not be read. / Le catalogue n'a pas pu être lu.")
        prefix = hub_prefix()
        for entry in data["entries"]:
            entry["launch"] = link(entry["id"], server=entry["id"], hub_prefix=prefix)
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"entries": data["entries"],
                                "docs_url": os.environ.get("DATALAB_DOCS_URL", "")}))
