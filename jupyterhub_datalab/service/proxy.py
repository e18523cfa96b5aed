"""The authenticated reverse proxy to companions' web UIs: ``{prefix}open/<owner>/<name>/...``.

A browser gets in with the service's OAuth cookie (a hub login redirect otherwise),
then ``CompanionManager.find`` decides: the owner, and project members when shared;
anybody else gets a 404. HTTP bodies stream both ways in chunks; websockets
(Streamlit, Dash...) are relayed frame by frame.

The URL mapping: ``{prefix}open/<owner>/<name>/<rest>`` -> ``backend.ui_target(c) + <rest>``.
Backends start UIs under that same path (``companion.endpoint["prefix"]``), so links
in pages work unchanged.

Cookies by allowlist: an app receives only the cookies it set itself. Its Set-Cookie
headers are stored in the browser under a name of its own (``dlapp.<owner>.<name>.<cookie>``,
host-only, under its path), and only those go back to it, with their own names. Nothing
else the browser holds for this host reaches an app written by someone else: not the
hub's or this service's tokens, and not the identity provider's session (browsers ignore
ports, so a provider on 127.0.0.1:8003 has its cookies sent here too: a shared app
recorded them and logged in as its visitor). Cross-site requests are refused: a non-GET request must come
from this origin (Fetch Metadata or Origin header), since UIs cannot send the hub's
XSRF token.

Clients that are not browsers (a kernel's MLflow client) come with a hub token in the
``Authorization`` header instead of a cookie: nothing ambient for another site to ride
on, so they are served on the hub's origin, without the redirect to the app's origin.
A UI listening on a Unix socket (``http+unix://`` target, the local backend) is reached
through it: only this service can.
"""

import html
import socket
from urllib.parse import urlparse

from tornado import httputil, web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.netutil import Resolver
from tornado.websocket import WebSocketClosedError, WebSocketHandler, websocket_connect

from ..companions import unix_socket_of
from ..i18n import pick_language
from .apps import SESSION_COOKIE, SESSION_DAYS, TICKET_ARG, without_ticket
from .errors import ApiError
from .handlers import AuthenticatedMixin

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailer", "transfer-encoding", "upgrade", "host", "content-length"}
WS_HEADERS = {"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
              "sec-websocket-protocol"}
MAX_STREAMED = 1024**4  # bodies stream through: memory stays near one chunk


def app_cookie_prefix(owner, name):
    """The prefix under which the browser keeps one app's cookies (owner and name are
    ``[a-z0-9-]``, so the dots make it unambiguous)."""
    return f"dlapp.{owner}.{name}."


def app_cookies(header, prefix, drop=()):
    """The Cookie header an app gets: only its own cookies, under their own names."""
    keep = []
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key.startswith(prefix) and len(key) > len(prefix) and key not in drop:
            keep.append(f"{key[len(prefix):]}={value}")
    return "; ".join(keep)


def app_set_cookie(value, prefix, path):
    """An app's Set-Cookie, renamed under its prefix, host-only and within its path."""
    first, *attributes = value.split(";")
    key, sep, rest = first.strip().partition("=")
    if not sep or not key:
        return None
    kept = [f"{prefix}{key}={rest}"]
    has_path = False
    for attribute in attributes:
        name, _, val = attribute.strip().partition("=")
        low = name.lower()
        if low == "domain" or not name:
            continue  # host-only: never shared with other hosts
        if low == "path":
            has_path = True
            if not val.startswith(path):
                attribute = f"Path={path}"
        kept.append(attribute.strip())
    if not has_path:
        kept.append(f"Path={path}")
    return "; ".join(kept)


class UnixResolver(Resolver):
    """Every host resolves to one Unix socket: a UI only this service reaches."""

    def initialize(self, path):
        self.path = path

    async def resolve(self, host, port, family=socket.AF_UNSPEC):
        return [(socket.AF_UNIX, self.path)]


def _resolver(path):
    return UnixResolver(path=path) if path else None


def _client(resolver=None):
    return AsyncHTTPClient(force_instance=True, max_body_size=MAX_STREAMED,
                           max_buffer_size=64 * 1024 * 1024, resolver=resolver)


class UIProxyHandler(AuthenticatedMixin, WebSocketHandler):
    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    on_app_origin = False  # the hub's origin: with app origins configured, only a redirect

    # -- who gets in -------------------------------------------------------------------

    def check_xsrf_cookie(self):
        site = self.request.headers.get("Sec-Fetch-Site")
        if site in ("same-origin", "none"):
            return
        origin = self.request.headers.get("Origin")
        if origin and urlparse(origin).netloc == self.request.host:
            return
        if site is None and origin is None and self.request.method in ("GET", "HEAD", "OPTIONS"):
            return
        raise web.HTTPError(403, "cross-site request refused")

    def check_origin(self, origin):
        return urlparse(origin).netloc == self.request.host

    @property
    def is_websocket(self):
        return self.request.headers.get("Upgrade", "").lower() == "websocket"

    async def prepare(self):
        model = await self.identify()
        token = getattr(self, "_token_authenticated", False)  # a client, not a browser
        if self.request.method not in ("GET", "HEAD", "OPTIONS") and not token:
            self.check_xsrf_cookie()  # on either origin, whatever authenticated the visitor
        if model is None:
            if self.request.method in ("GET", "HEAD") and not self.is_websocket:
                self.redirect(self.get_login_url())
                return
            raise ApiError(403, "Log in to the hub to open this service.",
                           "Connectez-vous au hub pour ouvrir ce service.")
        manager = self.manager
        person = await manager.users.person(model["name"])
        owner, name = self.path_kwargs["owner"], self.path_kwargs["name"]
        record = manager.find(owner, name, person)
        apps = self.settings.get("datalab_apps")
        if apps is not None and not self.on_app_origin and not token:
            # never serve an app on the hub's origin: send the visitor to its own, signed in
            if self.request.method in ("GET", "HEAD") and not self.is_websocket:
                ticket = apps.ticket(person.name, owner, name)
                self.redirect(apps.app_url(owner, name, self.request.path, self.request.query, ticket))
                return
            raise ApiError(404, f"{name} is served at its own address: {apps.origin(owner, name)}",
                           f"{name} est servi à sa propre adresse : {apps.origin(owner, name)}")
        c = record.companion
        target = manager.backend.ui_target(c) if c.status == "ready" else None
        if not target:
            if c.status == "ready":
                raise ApiError(404, f"{name} has no web interface.", f"{name} n'a pas d'interface web.")
            raise ApiError(503, f"{name} is not ready ({c.status}): try again in a moment.",
                           f"{name} n'est pas prêt ({c.status}) : réessayez dans un instant.")
        rest = self.path_kwargs.get("rest")
        if rest is None and self.request.method in ("GET", "HEAD") and not self.is_websocket:
            self.redirect(self.request.path + "/" + (f"?{self.request.query}" if self.request.query else ""))
            return
        rest = rest or ""
        query = f"?{self.request.query}" if self.request.query else ""
        self.socket, target = unix_socket_of(target)
        self.upstream = target.rstrip("/") + "/" + rest.lstrip("/") + query
        self.upstream_origin = "{0.scheme}://{0.netloc}".format(urlparse(target))
        self.cookie_prefix = app_cookie_prefix(c.owner, c.name)
        self.app_path = manager.prefix(c)

    def _handle_request_exception(self, e):
        if isinstance(e, ApiError):
            if not self._finished:
                # a page for a person: in the browser's language first, the other one after
                lang = pick_language(self.request.headers.get("Accept-Language", ""))
                other = "en" if lang == "fr" else "fr"
                self.clear()
                self.set_status(e.status)
                self.set_header("Content-Type", "text/html; charset=utf-8")
                self.finish(f"<!doctype html><html lang='{lang}'><title>{e.status}</title>"
                            f"<p>{html.escape(e.text(lang))}</p>"
                            + (f"<p lang='{other}'>{html.escape(e.text(other))}</p>" if e.has_french else ""))
            return
        super()._handle_request_exception(e)

    # -- what goes upstream ------------------------------------------------------------

    def upstream_headers(self):
        headers = httputil.HTTPHeaders()
        for key, value in self.request.headers.get_all():
            low = key.lower()
            if low in HOP_BY_HOP or low in WS_HEADERS or low == "authorization":
                continue
            if low == "cookie":
                value = self.forwarded_cookies(value)
                if not value:
                    continue
            if low == "origin":
                value = self.upstream_origin
            headers.add(key, value)
        headers["X-Forwarded-Host"] = self.request.host
        headers["X-Forwarded-Proto"] = self.request.protocol
        headers["X-Forwarded-For"] = self.request.remote_ip
        headers["X-Forwarded-User"] = self.current_user["name"]
        return headers

    def forwarded_cookies(self, header):
        """On the hub's origin: only the cookies this app set, under their own names."""
        return app_cookies(header, self.cookie_prefix)

    def stored_cookie(self, set_cookie):
        return app_set_cookie(set_cookie, self.cookie_prefix, self.app_path)

    # -- HTTP --------------------------------------------------------------------------

    async def get(self, *args, **kwargs):
        if self.is_websocket:
            await self.open_upstream_websocket()
            if self.ws_upstream is not None:
                await WebSocketHandler.get(self, *args, **kwargs)
            return
        await self.proxy_http()

    async def head(self, *args, **kwargs):
        await self.proxy_http()

    post = put = patch = delete = options = head

    async def proxy_http(self):
        started = False

        def on_header(line):
            nonlocal started
            line = line.rstrip("\r\n")
            if line.startswith("HTTP/"):
                start = httputil.parse_response_start_line(line)
                if start.code != 100:
                    self.set_status(start.code, start.reason)
                    for name in ("Content-Type", "Server", "Date"):
                        self.clear_header(name)
                return
            if not line or ":" not in line:
                return
            name, value = line.split(":", 1)
            low = name.strip().lower()
            if low in HOP_BY_HOP and low != "content-length":
                return
            if low == "content-length" and self.request.method != "HEAD":
                return  # tornado frames the streamed body itself
            value = value.strip()
            if low == "location" and value.startswith(self.upstream_origin):
                value = value[len(self.upstream_origin):] or "/"
            if low == "set-cookie":
                value = self.stored_cookie(value)
                if value is None:
                    return
            self.add_header(name.strip(), value)

        def on_chunk(chunk):
            nonlocal started
            started = True
            self.write(chunk)
            self.flush()

        body = self.request.body if self.request.method not in ("GET", "HEAD") else None
        if self.request.method in ("POST", "PUT", "PATCH") and body is None:
            body = b""
        request = HTTPRequest(
            self.upstream, method=self.request.method, headers=self.upstream_headers(),
            body=body, allow_nonstandard_methods=True, follow_redirects=False, decompress_response=False,
            header_callback=on_header, streaming_callback=on_chunk,
            connect_timeout=10, request_timeout=3600)
        client = _client(_resolver(self.socket))
        try:
            await client.fetch(request, raise_error=False)
        except OSError as e:
            if not started:
                raise ApiError(502, f"The service's web interface does not answer: {e}",
                               f"L'interface web du service ne répond pas : {e}") from None
        except HTTPClientError as e:
            if not started and e.code == 599:
                raise ApiError(502, f"The service's web interface does not answer: {e}",
                               f"L'interface web du service ne répond pas : {e}") from None
        finally:
            client.close()
        if not self._finished:
            self.finish()

    # -- websockets ----------------------------------------------------------------------

    ws_upstream = None

    async def open_upstream_websocket(self):
        url = "ws" + self.upstream[len("http"):]
        headers = self.upstream_headers()
        protocols = [p.strip() for p in self.request.headers.get("Sec-WebSocket-Protocol", "").split(",")
                     if p.strip()]
        request = HTTPRequest(url, headers=headers, connect_timeout=10, request_timeout=30)
        try:
            self.ws_upstream = await websocket_connect(
                request, on_message_callback=self.from_upstream, subprotocols=protocols or None,
                max_message_size=64 * 1024 * 1024, resolver=_resolver(self.socket))
        except (OSError, HTTPClientError) as e:
            raise ApiError(502, f"The service's web interface refused the websocket: {e}",
                           f"L'interface web du service a refusé le websocket : {e}") from None

    def select_subprotocol(self, subprotocols):
        return self.ws_upstream.selected_subprotocol if self.ws_upstream else None

    def from_upstream(self, message):
        if message is None:  # upstream closed
            if self.ws_connection is not None:
                self.close()
            return
        try:
            self.write_message(message, binary=isinstance(message, bytes))
        except WebSocketClosedError:
            self.ws_upstream.close()

    async def on_message(self, message):
        if self.ws_upstream is not None:
            try:
                await self.ws_upstream.write_message(message, binary=isinstance(message, bytes))
            except WebSocketClosedError:
                self.close()

    def on_ping(self, data):
        if self.ws_upstream is not None:
            self.ws_upstream.ping(data)

    def on_close(self):
        if self.ws_upstream is not None:
            self.ws_upstream.close()
            self.ws_upstream = None


class AppOriginHandler(UIProxyHandler):
    """The same proxy on a companion's own origin (``apps.py``): the visitor is the one of
    the app's session cookie, made from a ticket of the hub's origin."""

    on_app_origin = True

    async def prepare(self):
        apps = self.settings["datalab_apps"]
        owner, name = self.path_kwargs["owner"], self.path_kwargs["name"]
        if self.request.host != apps.host(owner, name):
            raise ApiError(404, "No such service at this address.", "Aucun service à cette adresse.")
        ticket = self.get_query_argument(TICKET_ARG, None)
        if ticket is not None and self.request.method in ("GET", "HEAD") and not self.is_websocket:
            user = apps.redeem(ticket, owner, name)
            if user:
                self.set_signed_cookie(SESSION_COOKIE, apps.session_value(user, owner, name),
                                       expires_days=None, httponly=True, samesite="Lax", path="/")
                self.redirect(without_ticket(self.request.path, self.request.query))
                return
            # expired or used: the hub's origin gives a new one
            self.redirect(self.get_login_url())
            return
        await super().prepare()

    async def identify(self):
        apps = self.settings["datalab_apps"]
        owner, name = self.path_kwargs["owner"], self.path_kwargs["name"]
        value = self.get_signed_cookie(SESSION_COOKIE, max_age_days=SESSION_DAYS)
        user = apps.session_user(value.decode() if value else None, owner, name)
        model = {"name": user, "kind": "user"} if user else None
        self._hub_auth_user_cache = model
        self.current_user = model
        return model

    def get_login_url(self):
        return self.settings["datalab_apps"].hub_address(self.request.path, self.request.query)

    # The app's own host holds only its cookies and its session's: no renaming, so the
    # app's JavaScript finds its cookies (Streamlit's XSRF one) by their names.
    def forwarded_cookies(self, header):
        return app_cookies(header, "", drop=(SESSION_COOKIE,))

    def stored_cookie(self, set_cookie):
        if set_cookie.split("=", 1)[0].strip() == SESSION_COOKIE:
            return None  # the app cannot replace its visitor's session
        return app_set_cookie(set_cookie, "", self.app_path)


UI_PATH = r"open/(?P<owner>[a-z0-9-]{1,64})/(?P<name>[a-z0-9-]{1,64})(?P<rest>/.*)?"


def app_origin_handlers(prefix):
    """The only routes of the apps' listener: companions' UIs, each on its own host."""
    return [(prefix + UI_PATH, AppOriginHandler)]


def ui_handlers(prefix):
    return [(prefix + UI_PATH, UIProxyHandler)]

