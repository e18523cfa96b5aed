"""Companion web UIs on their own origin: one host per companion, never the hub's.

What a member publishes is untrusted code. Served on the hub's origin, the JavaScript of
a shared Streamlit app read its visitor's secrets from ``/user/<visitor>/``, read the
``_xsrf`` cookie and started kernels there. So each companion's UI lives at a host of its
own (``apps_url``, e.g. ``http://{name}--{owner}.apps.localhost:8016`` on one machine,
where browsers resolve ``*.localhost`` to the loopback themselves, or
``https://{name}--{owner}.apps.example.org`` behind a wildcard DNS name), served by this
service on a listener of its own (``apps_bind_url``) that routes nothing else: no hub page,
no user server, no API is reachable from an app's origin.

Signing in there follows the hub's OAuth without sharing its cookies: the hub-origin address
``{prefix}open/<owner>/<name>/`` checks the visitor (the service's OAuth cookie) and the
access rule, then redirects to the app's origin with a ticket (signed, valid 60 s, usable
once, bound to that companion); the app's origin turns it into a session cookie of its own
host (signed, HttpOnly, bound to the companion) and checks the access rule again at every
request, so unsharing takes effect at once.
"""

import json
import secrets
import time
from urllib.parse import parse_qsl, urlencode, urlparse

from tornado.web import create_signed_value, decode_signed_value

TICKET_ARG = "_datalab_ticket"
TICKET_SECONDS = 60
SESSION_COOKIE = "datalab-app-session"
SESSION_DAYS = 1


class AppOrigins:
    """Addresses of companions' own origins and the signed tickets that lead there."""

    def __init__(self, url_template, hub_url, secret):
        self.template = url_template.rstrip("/")
        self.hub_url = hub_url.rstrip("/")
        self.secret = secret
        self._used = {}  # nonce -> expiry: a ticket works once

    def origin(self, owner, name):
        """``scheme://host[:port]`` of one companion's UI."""
        return self.template.format(owner=owner, name=name)

    def host(self, owner, name):
        return urlparse(self.origin(owner, name)).netloc

    def ticket(self, user, owner, name):
        payload = json.dumps({"u": user, "o": owner, "n": name, "x": secrets.token_urlsafe(12)})
        return create_signed_value(self.secret, TICKET_ARG, payload).decode()

    def redeem(self, ticket, owner, name):
        """The user a ticket was issued to for this companion, or None (expired, reused, forged)."""
        value = decode_signed_value(self.secret, TICKET_ARG, ticket, max_age_days=TICKET_SECONDS / 86400)
        data = _loads(value)
        if not data or (data.get("o"), data.get("n")) != (owner, name):
            return None
        now = time.monotonic()
        self._used = {n: t for n, t in self._used.items() if t > now}
        if data.get("x") in self._used:
            return None
        self._used[data.get("x")] = now + TICKET_SECONDS
        return data.get("u")

    def session_value(self, user, owner, name):
        return json.dumps({"u": user, "o": owner, "n": name})

    def session_user(self, value, owner, name):
        data = _loads(value)
        if data and (data.get("o"), data.get("n")) == (owner, name):
            return data.get("u")
        return None

    def app_url(self, owner, name, path, query, ticket):
        """Where the hub origin sends a visitor: the same path on the app's origin."""
        args = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != TICKET_ARG]
        return f"{self.origin(owner, name)}{path}?{urlencode([*args, (TICKET_ARG, ticket)])}"

    def hub_address(self, path, query):
        """The same path on the hub's origin, where the visitor is recognised."""
        return self.hub_url + without_ticket(path, query)


def without_ticket(path, query):
    """``path?query`` with the ticket taken out (what stays in the address bar)."""
    args = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != TICKET_ARG]
    return path + (f"?{urlencode(args)}" if args else "")


def _loads(value):
    try:
        data = json.loads(value) if value else None
    except (TypeError, ValueError):
        return None
    return data if isinstance(data, dict) else None
