"""A standalone demo OIDC provider for tests that need one without a whole stack."""

import json
import secrets
import signal
import subprocess
import time
import urllib.parse

import pytest
import requests

from jupyterhub_datalab.devstack.oidc import BUNDLE

from .stackctl import free_base_port, parse_forms

REDIRECT = "http://127.0.0.1:9/callback"  # never reached: we stop at the redirect


@pytest.fixture
def provider(tmp_path):
    assert BUNDLE.exists(), f"{BUNDLE} is missing: run `npm install && npm run build` in {BUNDLE.parent.parent}"
    port = free_base_port()
    config = {
        "issuer": f"http://127.0.0.1:{port}",
        "host": "127.0.0.1",
        "port": port,
        "keys_file": str(tmp_path / "jwks.json"),
        "cookie_keys_file": str(tmp_path / "cookies.json"),
        "clients": [{"client_id": "hub", "client_secret": "s3cret", "redirect_uris": [REDIRECT]}],
        "users": [{"username": "alice", "password": "pw-alice", "email": "alice@demo.gouv.fr",
                   "name": "Alice Martin", "given_name": "Alice", "family_name": "Martin",
                   "groups": ["stats"]}],
    }
    path = tmp_path / "provider.json"
    path.write_text(json.dumps(config))
    procs = []

    def start(**changes):
        if changes:
            config.update(changes)
            path.write_text(json.dumps(config))
        proc = subprocess.Popen(["node", str(BUNDLE), "--config", str(path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(proc)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(config["issuer"] + "/.well-known/openid-configuration", timeout=2).ok:
                    return proc
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError(proc.stderr.read() if proc.poll() is not None else "not ready")

    def stop(proc):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0

    yield config, path, start, stop
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def authorize(config, session, username, password, **extra):
    """Run the browser part of the code flow; return the redirect's query."""
    params = {"client_id": "hub", "response_type": "code", "redirect_uri": REDIRECT,
              "scope": "openid profile email groups offline_access", "state": "st4te",
              "nonce": secrets.token_urlsafe(32), **extra}
    r = session.get(config["issuer"] + "/auth", params=params, timeout=10)
    form = next(f for f in parse_forms(r.text) if "password" in f["inputs"])
    r = session.post(urllib.parse.urljoin(r.url, form["action"]),
                     data={"username": username, "password": password}, allow_redirects=False)
    if r.status_code != 303 and r.status_code != 302:
        return r
    while True:
        location = urllib.parse.urljoin(r.url, r.headers["Location"])
        if location.startswith(REDIRECT):
            return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query)) | {"nonce": params["nonce"]}
        r = session.get(location, allow_redirects=False, timeout=10)




def code_flow(config, client_id="hub", client_secret="s3cret", username="alice", password="pw-alice"):
    """A whole authorization-code flow; returns (token response, nonce sent)."""
    result = authorize(config, requests.Session(), username, password, client_id=client_id)
    discovery = requests.get(config["issuer"] + "/.well-known/openid-configuration").json()
    tokens = requests.post(discovery["token_endpoint"], data={
        "grant_type": "authorization_code", "code": result["code"], "redirect_uri": REDIRECT,
        "client_id": client_id, "client_secret": client_secret,
    }).json()
    return tokens, result["nonce"]
