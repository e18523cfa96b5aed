"""The demo OIDC provider as a client sees it: a real `node` process, a real code flow."""

import base64
import hashlib
import secrets
import subprocess
from pathlib import Path

import jwt
import requests

from jupyterhub_datalab.devstack.oidc import BUNDLE
from jupyterhub_datalab.devstack.ports import port_is_free

from ..oidcctl import REDIRECT, authorize


def test_code_flow_gives_signed_tokens_with_kid_and_groups(provider):
    config, _, start, stop = provider
    proc = start()
    discovery = requests.get(config["issuer"] + "/.well-known/openid-configuration").json()
    session = requests.Session()

    wrong = authorize(config, session, "alice", "not-it")
    assert wrong.status_code == 401 and 'id="login-error"' in wrong.text

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    result = authorize(config, requests.Session(), "alice", "pw-alice",
                       code_challenge=challenge, code_challenge_method="S256")
    assert result["state"] == "st4te"
    tokens = requests.post(discovery["token_endpoint"], data={
        "grant_type": "authorization_code", "code": result["code"], "redirect_uri": REDIRECT,
        "client_id": "hub", "client_secret": "s3cret", "code_verifier": verifier,
    }).json()
    header = jwt.get_unverified_header(tokens["id_token"])
    assert header["alg"] == "RS256" and header["kid"]
    key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(tokens["id_token"])
    claims = jwt.decode(tokens["id_token"], key.key, algorithms=["RS256"], audience="hub",
                        issuer=config["issuer"])
    assert claims["preferred_username"] == "alice" and claims["groups"] == ["stats"]
    assert claims["nonce"] == result["nonce"]

    userinfo = requests.get(discovery["userinfo_endpoint"],
                            headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert userinfo["groups"] == ["stats"] and userinfo["email"] == "alice@demo.gouv.fr"

    refreshed = requests.post(discovery["token_endpoint"], data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": "hub", "client_secret": "s3cret",
    })
    assert refreshed.status_code == 200 and refreshed.json()["access_token"] != tokens["access_token"]

    bad_secret = requests.post(discovery["token_endpoint"], data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": "hub", "client_secret": "guess",
    })
    assert bad_secret.status_code == 401

    # a restart reuses the signing key: tokens issued before stay verifiable
    stop(proc)
    start()
    jwks = requests.get(discovery["jwks_uri"]).json()
    assert [k["kid"] for k in jwks["keys"]] == [header["kid"]]
    assert "d" not in jwks["keys"][0], "private key material published"
    assert Path(config["keys_file"]).stat().st_mode & 0o777 == 0o600


def errors_of(result):
    """Our stderr lines, less the library's own notices (Node 20, in-memory sessions)."""
    return [line for line in result.stderr.strip().splitlines()
            if not line.startswith("oidc-provider WARNING:")]


def test_a_taken_port_is_one_line_and_exit_2(provider):
    config, path, _, _ = provider
    import socket

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", config["port"]))
        squatter.listen()
        result = subprocess.run(["node", str(BUNDLE), "--config", str(path)],
                                capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    lines = errors_of(result)
    assert len(lines) == 1 and f"port {config['port']}" in lines[0]
    assert port_is_free(config["port"])


def test_a_bad_config_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"issuer": "http://127.0.0.1:1"}')
    result = subprocess.run(["node", str(BUNDLE), "--config", str(path)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert errors_of(result) == ['oidc-provider: config is missing "port"']
