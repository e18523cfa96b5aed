"""Agent login: ``DatalabOAuthenticator``, OpenID Connect configured from the issuer.

It reads like an OAuthenticator provider subclass plus a few hooks:

- endpoints and signing keys come from ``{issuer}/.well-known/openid-configuration``;
- every ID token is verified (signature against the JWKS, issuer, audience,
  expiry, and the nonce sent with this very login, which is then spent);
- the username comes from a claim and is normalised (:mod:`jupyterhub_datalab.names`);
- groups become projects through include / exclude / transform patterns;
- tokens stay in the encrypted ``auth_state`` and are refreshed before they expire;
- logout also ends the session at the provider (RP-initiated logout);
- ProConnect needs only configuration: long nonces (always), ``acr_values``,
  userinfo answered as a signed JWT, PKCE on or off.

The login flow (discovery, tokens, refresh, logout) is here; who may log in, under which
name and in which projects is ``access`` (a mixin, its settings included); the provider's
discovery document, signing algorithms and timeouts are ``oidc``.
"""

import json
import secrets
import time
from urllib.parse import urlencode

import jwt
from oauthenticator.generic import GenericOAuthenticator
from tornado import web
from tornado.httpclient import HTTPClientError, HTTPRequest
from traitlets import Bool, Integer, List, Unicode, default, validate

from ..identity import IdentityIssuer
from ..login_handlers import (NONCE_COOKIE, DatalabCallbackHandler, DatalabLoginHandler,
                              DatalabLogoutHandler, PublicJSONHandler, refusal)
from .access import AccessMixin
from .oidc import (IDP_CONNECT_TIMEOUT, IDP_REQUEST_TIMEOUT, SIGNING_ALGORITHMS, DiscoveryError,
                   fetch_discovery, unreachable)

__all__ = ["DatalabOAuthenticator", "DiscoveryError", "fetch_discovery", "SIGNING_ALGORITHMS",
           "IDP_CONNECT_TIMEOUT", "IDP_REQUEST_TIMEOUT", "unreachable", "AccessMixin"]


class DatalabOAuthenticator(AccessMixin, GenericOAuthenticator):
    """Log agents in with their OIDC identity; their groups become projects."""

    login_handler = DatalabLoginHandler
    callback_handler = DatalabCallbackHandler
    logout_handler = DatalabLogoutHandler

    issuer = Unicode(
        config=True,
        help="""
        The OpenID Connect issuer URL, e.g.
        ``https://keycloak.example.gouv.fr/realms/datalab`` or
        ``https://auth.agentconnect.gouv.fr/api/v2``.

        The authorize, token, userinfo, JWKS and end-session endpoints are read from
        ``{issuer}/.well-known/openid-configuration`` unless set explicitly.
        """,
    )

    @validate("issuer")
    def _validate_issuer(self, proposal):
        value = proposal["value"].rstrip("/")
        if value and not value.startswith(("https://", "http://")):
            raise ValueError(f"DatalabOAuthenticator.issuer must be an http(s) URL, got {value!r}")
        return value

    scope = List(
        Unicode(),
        default_value=["openid", "profile", "email", "groups", "offline_access"],
        config=True,
        help="""OAuth scopes requested. ProConnect: ``["openid", "given_name",
        "usual_name", "email", "uid"]``.""",
    )

    acr_values = List(
        Unicode(),
        config=True,
        help="""``acr_values`` sent with the authorization request, e.g. ProConnect's
        ``["eidas1"]``.""",
    )

    token_refresh_margin = Integer(
        300,
        config=True,
        help="""Refresh the access token when it expires within this many seconds
        (checked before a spawn and whenever JupyterHub refreshes the user).""",
    )

    post_logout_redirect_url = Unicode(
        "",
        config=True,
        help="""Where the provider sends people after logout (must be registered with
        the client). Empty: the hub's login page, built from ``oauth_callback_url``.""",
    )

    end_provider_session = Bool(
        True,
        config=True,
        help="""On logout, also end the session at the provider (RP-initiated logout
        with ``id_token_hint``) when it publishes an ``end_session_endpoint``.""",
    )

    id_token_leeway = Integer(
        30, config=True, help="Clock skew, in seconds, tolerated when checking token times."
    )

    identity_issuer_url = Unicode(
        config=True,
        help="""Issuer URL of the datalab identity tokens (see
        :mod:`jupyterhub_datalab.identity`), which S3 STS and Vault trust instead of
        the provider's tokens. Must be reachable by them; the hub serves
        ``{url}/jwks`` and ``{url}/.well-known/openid-configuration``.
        Default: the hub's URL from ``oauth_callback_url`` + ``/hub/datalab``.""",
    )

    @default("identity_issuer_url")
    def _identity_issuer_url_default(self):
        return self.oauth_callback_url.rsplit("/oauth_callback", 1)[0] + "/datalab"

    identity_key_file = Unicode(
        "datalab-identity-key.pem",
        config=True,
        help="""The RSA private key (PEM, created with mode 0600 if missing) that signs
        datalab identity tokens. Keep it across restarts and share it between hub
        replicas (a Kubernetes Secret).""",
    )

    identity_token_lifetime = Integer(
        3600,
        config=True,
        help="""Longest life of a datalab identity token, in seconds; never beyond the
        provider's access token. Renewed with it.""",
    )

    _identity = None

    @property
    def identity(self):
        if self._identity is None:
            self._identity = IdentityIssuer(self.identity_issuer_url, self.identity_key_file)
        return self._identity

    def get_handlers(self, app):
        return super().get_handlers(app) + [
            (r"/datalab/jwks", PublicJSONHandler, {"document": self.identity.jwks}),
            (r"/datalab/.well-known/openid-configuration", PublicJSONHandler,
             {"document": self.identity.discovery}),
        ]

    # -- discovery -------------------------------------------------------

    _discovery = None
    _jwks_client = None

    @property
    def discovery(self):
        """The issuer's discovery document, fetched once."""
        if self._discovery is None:
            if not self.issuer:
                raise DiscoveryError("Set DatalabOAuthenticator.issuer.")
            self._discovery = fetch_discovery(self.issuer)
        return self._discovery

    @property
    def jwks_client(self):
        if self._jwks_client is None:
            self._jwks_client = jwt.PyJWKClient(self.discovery["jwks_uri"], cache_keys=True,
                                                lifespan=3600, timeout=10)
        return self._jwks_client

    @default("authorize_url")
    def _authorize_url_default(self):
        return self.discovery["authorization_endpoint"]

    @default("token_url")
    def _token_url_default(self):
        return self.discovery["token_endpoint"]

    @default("userdata_url")
    def _userdata_url_default(self):
        return self.discovery["userinfo_endpoint"]

    @default("login_service")
    def _login_service_default(self):
        return "Datalab"

    @default("username_claim")
    def _username_claim_default(self):
        return "preferred_username"

    @default("manage_groups")
    def _manage_groups_default(self):
        return True

    @default("auth_state_groups_key")
    def _auth_state_groups_key_default(self):
        return f"{self.user_auth_state_key}.groups"

    @default("enable_auth_state")
    def _enable_auth_state_default(self):
        # tokens are needed later for S3 STS and Vault login
        return True

    @default("refresh_pre_spawn")
    def _refresh_pre_spawn_default(self):
        return True

    @default("http_request_kwargs")
    def _http_request_kwargs_default(self):
        # bounded waits on the provider: a hung one once gave a bare 500 after 20 s
        return {"connect_timeout": IDP_CONNECT_TIMEOUT, "request_timeout": IDP_REQUEST_TIMEOUT}

    # -- tokens ----------------------------------------------------------

    def verify_id_token(self, id_token, nonce=None):
        """The claims of a valid ID token; raises a 403 saying what is wrong otherwise."""
        try:
            key = self.jwks_client.get_signing_key_from_jwt(id_token)
            claims = jwt.decode(
                id_token,
                key.key,
                algorithms=SIGNING_ALGORITHMS,
                audience=self.client_id,
                issuer=self.discovery["issuer"],
                leeway=self.id_token_leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise refusal(403, "Le jeton d'identité a expiré : reconnectez-vous.",
                          "The ID token has expired: please log in again.") from None
        except jwt.InvalidAudienceError:
            raise refusal(403, "Ce jeton d'identité n'a pas été émis pour ce datalab.",
                          "This ID token was not issued for this datalab.") from None
        except (jwt.PyJWTError, KeyError) as e:
            self.log.warning("Rejected an ID token: %s", e)
            raise refusal(403, "Le jeton d'identité est invalide.",
                          "The ID token is invalid.") from None
        if nonce is not None and not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise refusal(403, "La connexion a expiré ou a déjà été utilisée : recommencez.",
                          "This login attempt expired or was already used: please start again.")
        return claims

    async def get_token_info(self, handler, params):
        """Exchange the code (or refresh token), then verify the ID token we got."""
        try:
            token_info = await super().get_token_info(handler, params)
        except HTTPClientError as e:
            if e.code != 599:  # the provider answered: a refused code, a bad client...
                raise
            raise unreachable() from None
        id_token = token_info.get("id_token")
        at_login = params.get("grant_type") == "authorization_code"
        if at_login and not id_token:
            raise refusal(403, "Le fournisseur d'identité n'a pas renvoyé de jeton d'identité.",
                          "The identity provider returned no ID token.")
        nonce = None
        if at_login:
            cookie = handler.get_secure_cookie(NONCE_COOKIE, max_age_days=1) if handler else None
            if handler is not None:
                handler.clear_cookie(NONCE_COOKIE, path=handler.hub.base_url)
            # a login without our cookie (replayed or forged callback) has no valid nonce
            nonce = cookie.decode() if cookie else "missing-nonce-" + secrets.token_hex(8)
        if id_token:
            token_info["id_token_claims"] = self.verify_id_token(id_token, nonce=nonce)
        token_info["expires_at"] = time.time() + float(token_info.get("expires_in") or 0)
        return token_info

    async def token_to_user(self, token_info):
        """Userinfo, accepting a signed JWT answer (ProConnect) as well as JSON."""
        if self.userdata_from_id_token:
            return dict(token_info["id_token_claims"])
        request = HTTPRequest(
            self.userdata_url,
            method="GET",
            headers={"Authorization": f"Bearer {token_info['access_token']}",
                     "Accept": "application/json, application/jwt"},
            validate_cert=self.validate_server_cert,
            **{"connect_timeout": IDP_CONNECT_TIMEOUT, "request_timeout": IDP_REQUEST_TIMEOUT,
               **self.http_request_kwargs},
        )
        try:
            response = await self.fetch(request, "fetching user info", parse_json=False)
        except HTTPClientError as e:
            if e.code != 599:
                raise
            raise unreachable() from None
        body = response.body.decode("utf-8", "replace")
        if response.headers.get("Content-Type", "").startswith("application/jwt"):
            key = self.jwks_client.get_signing_key_from_jwt(body)
            # a signed userinfo may omit `aud`; when present it must name us
            user_info = jwt.decode(body, key.key, algorithms=SIGNING_ALGORITHMS,
                                   leeway=self.id_token_leeway, options={"verify_aud": False})
            audience = user_info.get("aud", self.client_id)
            if self.client_id not in ([audience] if isinstance(audience, str) else audience):
                raise refusal(403, "Ces informations d'identité n'ont pas été émises pour ce datalab.",
                              "This user info was not issued for this datalab.")
        else:
            user_info = json.loads(body)
        id_claims = token_info.get("id_token_claims")
        if id_claims and user_info.get("sub") != id_claims.get("sub"):
            raise refusal(403, "Les informations d'identité ne correspondent pas au jeton.",
                          "The user info does not match the ID token.")
        return user_info

    def build_auth_state_dict(self, token_info, user_info):
        auth_state = super().build_auth_state_dict(token_info, user_info)
        auth_state["id_token"] = token_info.get("id_token")
        auth_state["expires_at"] = token_info.get("expires_at")
        auth_state["token_response"].pop("id_token_claims", None)
        return auth_state

    async def update_auth_model(self, auth_model):
        """Sign the datalab identity token once name and projects are settled."""
        auth_model = await super().update_auth_model(auth_model)
        auth_state = auth_model["auth_state"]
        groups = await self.get_user_groups(auth_state) if self.manage_groups else set()
        expires_at = min(auth_state.get("expires_at") or 0,
                         time.time() + self.identity_token_lifetime)
        if expires_at <= time.time():
            expires_at = time.time() + self.identity_token_lifetime
        auth_state["expires_at"] = expires_at
        user_info = auth_state.get(self.user_auth_state_key) or {}
        auth_state["identity_token"] = self.identity.issue(
            auth_model["name"], groups, expires_at, email=user_info.get("email"))
        return auth_model

    def expires_soon(self, auth_state):
        expires_at = (auth_state or {}).get("expires_at") or 0
        return expires_at - time.time() < self.token_refresh_margin

    async def refresh_user(self, user, handler=None, **kwargs):
        """Keep tokens fresh; a refused refresh token sends the person back to login."""
        auth_state = await user.get_auth_state()
        if not auth_state:
            return False
        if not self.expires_soon(auth_state):
            return True
        refresh_token = auth_state.get("refresh_token")
        if not refresh_token:
            self.log.info("Tokens of %s expired and cannot be refreshed: new login needed", user.name)
            return False
        try:
            token_info = await self.get_token_info(
                handler, self.build_refresh_token_request_params(refresh_token))
        except web.HTTPError as e:
            if e.status_code == 503 and (auth_state.get("expires_at") or 0) > time.time() + 60:
                # the provider does not answer, and the tokens still hold: keep them for now
                self.log.warning("Tokens of %s not refreshed (the identity provider does not "
                                 "answer); they are still valid, kept", user.name)
                return True
            self.log.info("Refresh token of %s refused (%s): new login needed", user.name,
                          getattr(e, "code", e))
            return False
        except HTTPClientError as e:
            self.log.info("Refresh token of %s refused (%s): new login needed", user.name,
                          getattr(e, "code", e))
            return False
        token_info.setdefault("refresh_token", refresh_token)
        if not token_info.get("id_token"):
            token_info["id_token"] = auth_state.get("id_token")
        self.log.info("Refreshed the tokens of %s", user.name)
        return await self._token_to_auth_model(token_info)

    # -- logout ------------------------------------------------------------

    def end_session_url(self, id_token):
        """The provider's end-session URL for this logout, or '' when there is none."""
        endpoint = self.end_provider_session and self.discovery.get("end_session_endpoint")
        if not endpoint:
            return ""
        params = {"client_id": self.client_id}
        if id_token:
            params["id_token_hint"] = id_token
        post_logout = self.post_logout_redirect_url or self.oauth_callback_url.replace(
            "/oauth_callback", "/login")
        if post_logout:
            params["post_logout_redirect_uri"] = post_logout
        return f"{endpoint}?{urlencode(params)}"
