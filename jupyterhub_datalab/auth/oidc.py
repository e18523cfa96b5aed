"""What the datalab asks of an OpenID Connect provider, apart from the login flow: its
discovery document, the signing algorithms it may use, bounded waits, and the sentence
said when it does not answer."""

import json
import urllib.error
import urllib.request

from ..login_handlers import refusal

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
