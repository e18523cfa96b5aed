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
"""

import json
import re
import secrets
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import jwt
from oauthenticator.generic import GenericOAuthenticator
from tornado import web
from tornado.httpclient import HTTPClientError, HTTPRequest
from traitlets import Bool, Integer, List, Unicode, default, validate

from .identity import IdentityIssuer
from .login_handlers import (NONCE_COOKIE, DatalabCallbackHandler, DatalabLoginHandler,
                             DatalabLogoutHandler, PublicJSONHandler, refusal)
from .names import normalize_name

# asymmetric only: "none" and HMAC (a shared secret anyone with the JWKS could use) never pass
SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


IDP_CONNECT_TIMEOUT = 5  # seconds
IDP_REQUEST_TIMEOUT = 10


def unreachable():
    return refusal(503, "Le fournisseur d'identité ne répond pas : réessayez dans un instant.",
                   "The identity provider does not answer: try again in a moment.")


class DiscoveryError(RuntimeError):
    """The issuer's discovery document could not be read."""


def fetch_discovery(issuer, timeout=10):
    """Return the issuer's ``/.well-known/openid-configuration`` as a dict."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            document = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise DiscoveryError(
            f"Cannot read the OpenID discovery document at {url}: {e}. "
            "Check DatalabOAuthenticator.issuer and that the provider is reachable."
        ) from None
    if document.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        raise DiscoveryError(
            f"The discovery document at {url} names issuer {document.get('issuer')!r}, "
            f"not {issuer!r}: set DatalabOAuthenticator.issuer to the provider's exact issuer."
        )
    return document


class DatalabOAuthenticator(GenericOAuthenticator):
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

    username_fallback_to_email = Bool(
        True,
        config=True,
        help="""When the ``username_claim`` is missing, use the local part of the
        ``email`` claim (``jean.dupont@x.gouv.fr`` -> ``jean-dupont--<hash>``).""",
    )

    included_group_pattern = Unicode(
        "",
        config=True,
        help="""Only groups matching this regular expression (whole name) become
        projects; empty keeps all. Like Onyxia's ``includedGroupPattern``,
        e.g. ``datalab-.*``.""",
    )

    excluded_group_pattern = Unicode(
        "",
        config=True,
        help="""Groups matching this regular expression (whole name) are dropped,
        after inclusion. Like Onyxia's ``excludedGroupPattern``, e.g. ``.*-admins``.""",
    )

    transform_group_pattern = Unicode(
        "",
        config=True,
        help="""A regular expression applied to each kept group; the group becomes
        ``transform_group_replacement`` with its captures, e.g. pattern
        ``datalab-(.*)`` and replacement ``\\1`` turn ``datalab-stats`` into the project
        ``stats``. Like Onyxia's ``transformGroupPattern``. Project names are then
        normalised like usernames.""",
    )

    transform_group_replacement = Unicode(
        r"\1",
        config=True,
        help="Replacement for ``transform_group_pattern`` (``\\1`` is the first capture).",
    )

    @validate("included_group_pattern", "excluded_group_pattern", "transform_group_pattern")
    def _validate_pattern(self, proposal):
        try:
            re.compile(proposal["value"])
        except re.error as e:
            raise ValueError(
                f"DatalabOAuthenticator.{proposal['trait'].name} is not a valid regular "
                f"expression: {e}"
            ) from None
        return proposal["value"]

    allowed_email_domains = List(
        Unicode(),
        config=True,
        help="""Only people whose verified ``email`` ends in one of these domains may
        log in (subdomains included), e.g. ``["gouv.fr"]``. Empty allows any domain.""",
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

    # -- who may log in, under which name, in which projects ---------------

    def user_info_to_username(self, user_info):
        raw = user_info.get(self.username_claim) if isinstance(self.username_claim, str) else None
        if raw is None and not isinstance(self.username_claim, str):
            raw = self.username_claim(user_info)
        if not raw and self.username_fallback_to_email and user_info.get("email"):
            raw = str(user_info["email"]).split("@", 1)[0]
        name = normalize_name(raw)
        if not name:
            raise refusal(403, "Votre identité ne comporte pas d'identifiant utilisable.",
                          f"Your identity has no usable {self.username_claim} or email.")
        return name

    def project_names(self, raw_groups):
        """Groups from the provider -> project names, through the configured patterns."""
        projects = []
        for raw in raw_groups or []:
            group = str(raw).lstrip("/")  # Keycloak's full paths: /stats -> stats
            if self.included_group_pattern and not re.fullmatch(self.included_group_pattern, group):
                continue
            if self.excluded_group_pattern and re.fullmatch(self.excluded_group_pattern, group):
                continue
            if self.transform_group_pattern:
                match = re.fullmatch(self.transform_group_pattern, group)
                if match:
                    group = match.expand(self.transform_group_replacement)
            name = normalize_name(group)
            if name and name not in projects:
                projects.append(name)
        return projects

    async def get_user_groups(self, auth_state):
        return set(self.project_names(await super().get_user_groups(auth_state)))

    async def check_allowed(self, username, auth_model):
        if auth_model is None:
            return True
        user_info = (auth_model.get("auth_state") or {}).get(self.user_auth_state_key) or {}
        if self.allowed_email_domains:
            email = str(user_info.get("email") or "").lower()
            domain = email.rsplit("@", 1)[-1] if "@" in email else ""
            allowed = any(domain == d.lower() or domain.endswith("." + d.lower())
                          for d in self.allowed_email_domains)
            if not allowed or user_info.get("email_verified") is False:
                names = ", ".join(self.allowed_email_domains)
                raise refusal(
                    403,
                    f"Ce datalab est réservé aux adresses des domaines {names} ; "
                    f"votre adresse ({email or 'aucune'}) n'en fait pas partie.",
                    f"This datalab is only open to addresses in {names}; "
                    f"yours ({email or 'none'}) is not.",
                )
        if await super().check_allowed(username, auth_model):
            return True
        if self.allowed_groups:
            names = ", ".join(sorted(self.allowed_groups))
            raise refusal(
                403,
                f"Ce datalab est réservé aux membres des groupes {names} : "
                "demandez à votre administrateur de vous y ajouter.",
                f"This datalab is only open to members of {names}: "
                "ask your administrator to add you.",
            )
        return False

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
