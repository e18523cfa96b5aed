"""Datalab identity tokens: the only tokens S3 and Vault trust.

S3 and Vault policies expand claims such as ``preferred_username`` before
wildcard matching, so a provider username like ``*`` would open every bucket
(measured: SeaweedFS STS gave user ``*`` bob's files). And anyone holding their
provider's ID token could call STS themselves. So the backends trust no
provider token: they trust this issuer, the hub, which signs short-lived JWTs
whose ``sub``/``preferred_username`` is the normalised username and whose
``groups`` are the normalised projects, after every check the hub made at login.

The signing key is an RSA key kept in a 0600 PEM file; the public part is
served as JWKS by the hub (``/hub/datalab/jwks``) with a discovery document.
"""

import base64
import hashlib
import json
import os
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

AUDIENCE = "datalab"
# Policies cannot iterate over a list claim (SeaweedFS matched nothing with
# ${jwt:groups}), so projects also travel as single-valued slots project_1..N,
# which S3 and Vault policies name one by one. An empty slot is absent: its
# unexpanded variable can match no bucket or path.
PROJECT_SLOTS = 20


def project_claims(groups):
    """``{"project_1": "stats", ...}`` for the first PROJECT_SLOTS projects, sorted."""
    return {f"project_{i}": name for i, name in enumerate(sorted(groups)[:PROJECT_SLOTS], start=1)}


def _b64(number):
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def load_or_create_key(path):
    """The RSA private key at ``path``, created (mode 0600) on first use."""
    path = Path(path)
    if path.exists():
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


def public_pem(key):
    """The PEM of a private key's public half (what Vault's JWT auth is given)."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class IdentityIssuer:
    """Signs datalab identity tokens and publishes the matching JWKS."""

    def __init__(self, issuer, key_path, audience=AUDIENCE):
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.key = load_or_create_key(key_path)
        numbers = self.key.public_key().public_numbers()
        self.public_jwk = {"kty": "RSA", "n": _b64(numbers.n), "e": _b64(numbers.e),
                           "alg": "RS256", "use": "sig"}
        thumbprint = json.dumps({k: self.public_jwk[k] for k in ("e", "kty", "n")},
                                separators=(",", ":"), sort_keys=True)
        self.public_jwk["kid"] = base64.urlsafe_b64encode(
            hashlib.sha256(thumbprint.encode()).digest()).rstrip(b"=").decode()

    def issue(self, username, groups, expires_at, email=None):
        """A signed identity token for an already-authenticated, normalised user."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": username,
            "preferred_username": username,
            "groups": sorted(groups),
            "iat": now,
            "nbf": now - 5,
            "exp": int(expires_at),
            "jti": uuid.uuid4().hex,
        }
        claims.update(project_claims(groups))
        if email:
            claims["email"] = email
        return jwt.encode(claims, self.key, algorithm="RS256",
                          headers={"kid": self.public_jwk["kid"]})

    def jwks(self):
        return {"keys": [self.public_jwk]}

    def discovery(self):
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
            "response_types_supported": ["id_token"],
            "claims_supported": ["sub", "preferred_username", "groups", "email"],
        }
