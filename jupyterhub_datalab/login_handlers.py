"""The login pages' handlers: nonce at the authorization request, scrubbed callback logs,
logout at the provider too, and the public documents of the datalab's identity issuer."""

import json
import secrets

from jupyterhub.log import _scrub_uri
from oauthenticator.oauth2 import OAuthCallbackHandler, OAuthLoginHandler, OAuthLogoutHandler
from tornado import web
from tornado.escape import xhtml_escape
from tornado.log import app_log, gen_log

NONCE_COOKIE = "datalab-oidc-nonce"


def refusal(status, message_fr, message_en):
    """An HTTP error whose page tells the person why, in French and English."""
    error = web.HTTPError(status, message_en)
    error.jupyterhub_message = f"{message_fr} / {message_en}"
    error.jupyterhub_html_message = (
        f'<span lang="fr" class="datalab-refusal">{xhtml_escape(message_fr)}</span><br>'
        f'<span lang="en" class="datalab-refusal">{xhtml_escape(message_en)}</span>'
    )
    return error


class DatalabLoginHandler(OAuthLoginHandler):
    """Adds a fresh nonce to every authorization request (kept in a signed cookie)."""

    def authorize_redirect(self, *args, extra_params=None, **kwargs):
        extra_params = dict(extra_params or {})
        nonce = secrets.token_urlsafe(32)  # 43 characters: ProConnect asks for >= 32
        self.set_secure_cookie(NONCE_COOKIE, nonce, expires_days=1, httponly=True,
                               path=self.hub.base_url)
        extra_params["nonce"] = nonce
        if self.authenticator.acr_values:
            extra_params["acr_values"] = " ".join(self.authenticator.acr_values)
        return super().authorize_redirect(*args, extra_params=extra_params, **kwargs)


class DatalabLogoutHandler(OAuthLogoutHandler):
    """Log out of the hub, then end the session at the provider with ``id_token_hint``."""

    async def get(self):
        self._id_token = None
        user = self.current_user
        if user is not None:
            auth_state = await user.get_auth_state() or {}
            self._id_token = auth_state.get("id_token")
        await super().get()

    async def render_logout_page(self):
        url = self.authenticator.end_session_url(getattr(self, "_id_token", None))
        if url:
            self.redirect(url)
            return
        return await super().render_logout_page()


class PublicJSONHandler(web.RequestHandler):
    """Serves a public JSON document (the identity issuer's JWKS and discovery)."""

    def initialize(self, document):
        self.document = document

    def get(self):
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "max-age=300")
        self.finish(json.dumps(self.document()))


class DatalabCallbackHandler(OAuthCallbackHandler):
    """The OAuth callback, logging its errors without the URL's ``code`` and ``state``:
    tornado's own log line quoted the whole URL, so a refused or failed login left a
    usable authorization code in the hub's log."""

    def _request_summary(self):
        return f"{self.request.method} {_scrub_uri(self.request.uri)} ({self.request.remote_ip})"

    def log_exception(self, typ, value, tb):
        if isinstance(value, web.HTTPError):
            gen_log.warning("%d %s: %s", value.status_code, self._request_summary(),
                            value.log_message or "")
        else:
            app_log.error("Uncaught exception %s", self._request_summary(), exc_info=(typ, value, tb))
