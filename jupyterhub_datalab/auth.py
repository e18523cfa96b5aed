"""Agent login: an OpenID Connect authenticator configured from the issuer alone.

``DatalabOAuthenticator`` reads like an OAuthenticator provider subclass: it only
sets defaults. Point it at an issuer (Keycloak realm, ProConnect, the embedded
provider) and the endpoints come from the discovery document; the username and
the groups (which become projects) come from configurable claims.
"""

import json
import urllib.error
import urllib.request

from oauthenticator.generic import GenericOAuthenticator
from traitlets import List, Unicode, default, validate


class DiscoveryError(RuntimeError):
    """The issuer's discovery document could not be read."""


def fetch_discovery(issuer, timeout=10):
    """Return the issuer's ``/.well-known/openid-configuration`` as a dict."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise DiscoveryError(
            f"Cannot read the OpenID discovery document at {url}: {e}. "
            "Check DatalabOAuthenticator.issuer and that the provider is reachable."
        ) from None


class DatalabOAuthenticator(GenericOAuthenticator):
    """Log agents in with their OIDC identity; their groups become projects."""

    issuer = Unicode(
        config=True,
        help="""
        The OpenID Connect issuer URL, e.g.
        ``https://keycloak.example.gouv.fr/realms/datalab``.

        The authorize, token and userdata (userinfo) endpoints are read from
        ``{issuer}/.well-known/openid-configuration`` unless set explicitly.
        """,
    )

    @validate("issuer")
    def _validate_issuer(self, proposal):
        value = proposal["value"].rstrip("/")
        if value and not value.startswith(("https://", "http://")):
            raise ValueError(
                f"DatalabOAuthenticator.issuer must be an http(s) URL, got {value!r}"
            )
        return value

    scope = List(
        Unicode(),
        default_value=["openid", "profile", "email", "groups", "offline_access"],
        config=True,
        help="OAuth scopes requested from the provider.",
    )

    _discovery = None

    @property
    def discovery(self):
        """The issuer's discovery document, fetched once."""
        if self._discovery is None:
            if not self.issuer:
                raise DiscoveryError(
                    "Set DatalabOAuthenticator.issuer (or the three endpoint URLs)."
                )
            self._discovery = fetch_discovery(self.issuer)
        return self._discovery

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
