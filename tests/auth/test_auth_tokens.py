"""ID token checks of DatalabOAuthenticator, on tokens a real provider issued."""

import base64
import json
import time

import jwt
import pytest
from tornado.web import HTTPError

from jupyterhub_datalab.auth import DatalabOAuthenticator, DiscoveryError, fetch_discovery

from ..oidcctl import REDIRECT, code_flow


@pytest.fixture
def issued(provider):
    config, _, start, _ = provider
    config["clients"].append({"client_id": "other-app", "client_secret": "0ther",
                              "redirect_uris": [REDIRECT]})
    start(id_token_ttl=2)
    auth = DatalabOAuthenticator(issuer=config["issuer"], client_id="hub", client_secret="s3cret")
    auth.id_token_leeway = 0
    tokens, nonce = code_flow(config)
    return config, auth, tokens, nonce


def _refused(auth, token, nonce, words):
    with pytest.raises(HTTPError) as info:
        auth.verify_id_token(token, nonce=nonce)
    assert info.value.status_code == 403
    assert words in info.value.jupyterhub_message
    return info.value


def test_a_genuine_token_passes(issued):
    _, auth, tokens, nonce = issued
    claims = auth.verify_id_token(tokens["id_token"], nonce=nonce)
    assert claims["preferred_username"] == "alice" and claims["aud"] == "hub"


def test_a_bad_signature_is_refused(issued):
    _, auth, tokens, nonce = issued
    head, payload, signature = tokens["id_token"].split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    _refused(auth, f"{head}.{payload}.{flipped}", nonce, "invalid")


def test_a_changed_payload_is_refused(issued):
    _, auth, tokens, nonce = issued
    head, payload, signature = tokens["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["preferred_username"] = "bob"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    _refused(auth, f"{head}.{forged}.{signature}", nonce, "invalid")


def test_an_unsigned_token_is_refused(issued):
    _, auth, tokens, nonce = issued
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    header = jwt.get_unverified_header(tokens["id_token"])
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": header["kid"]})
    _refused(auth, unsigned, nonce, "invalid")


def test_a_token_for_another_client_is_refused(issued):
    config, auth, _, _ = issued
    tokens, nonce = code_flow(config, client_id="other-app", client_secret="0ther")
    _refused(auth, tokens["id_token"], nonce, "not issued for this datalab")


def test_a_replayed_or_foreign_nonce_is_refused(issued):
    config, auth, tokens, nonce = issued
    other_tokens, other_nonce = code_flow(config)
    # the ID token of one login presented to complete another
    _refused(auth, tokens["id_token"], other_nonce, "already used")
    _refused(auth, other_tokens["id_token"], nonce, "already used")


def test_an_expired_token_is_refused(issued):
    _, auth, tokens, nonce = issued
    time.sleep(3)
    _refused(auth, tokens["id_token"], nonce, "expired")


def test_a_wrong_issuer_setting_says_what_to_fix(issued):
    config, _, _, _ = issued
    assert fetch_discovery(config["issuer"] + "/")["issuer"] == config["issuer"]
    # the same provider reached under another name is not the configured issuer
    with pytest.raises(DiscoveryError, match="exact issuer"):
        fetch_discovery(config["issuer"].replace("127.0.0.1", "localhost"))
    with pytest.raises(DiscoveryError, match="Cannot read"):
        fetch_discovery("http://127.0.0.1:9")
