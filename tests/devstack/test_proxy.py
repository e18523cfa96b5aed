"""The embedded stack's public entry point (traefik, routes set by the hub).

Through a real `datalab up`: file names with characters JupyterLab percent-encodes in
paths reach the user's server and come back; encoded characters that could make the
proxy and a server read one path two ways are refused; the proxy's API answers only
the hub's password and is not reachable through the public port.
"""

from urllib.parse import quote

import requests

from jupyterhub_datalab.devstack.hub import PROXY_API_USER
from jupyterhub_datalab.devstack.ports import OFFSETS

from ..clients import Client
from ..stackctl import xsrf_of

NAMES = ["notes #1.txt", "100% done.txt", "why?.txt", "a;b.txt", "été ∑.txt"]


def contents(stack, user="alice"):
    session = Client(stack, user).session
    session.headers["X-XSRFToken"] = xsrf_of(session, f"/user/{user}/")
    return session, f"{stack.hub_url}/user/{user}/api/contents/"


def test_file_names_jupyterlab_encodes_round_trip_through_the_proxy(stack):
    session, base = contents(stack)
    for name in NAMES:
        url = base + quote(name, safe="")
        put = session.put(url, json={"type": "file", "format": "text", "content": name}, timeout=60)
        assert put.status_code in (200, 201), (name, put.status_code, put.text[:200])
        got = session.get(url, params={"content": "1"}, timeout=60)
        assert got.status_code == 200, (name, got.status_code)
        assert got.json()["name"] == name and got.json()["content"] == name
        assert session.delete(url, timeout=60).status_code == 204


def test_encoded_slash_backslash_and_nul_are_refused_by_the_proxy(stack):
    session, base = contents(stack)
    for raw in ("a%2F..%2F..%2Fetc", "a%5C..%5Cb", "a%00b"):
        r = session.get(base + raw, timeout=60)
        assert r.status_code == 400, (raw, r.status_code)
        assert "Server" not in r.headers or "Tornado" not in r.headers["Server"]  # not the user's server


def test_the_proxy_api_wants_the_hubs_password_and_is_not_public(stack):
    api = f"http://127.0.0.1:{stack.port + OFFSETS['proxy_api'][0]}/api/http/routers"
    assert requests.get(api, timeout=10).status_code == 401
    assert requests.get(api, auth=(PROXY_API_USER, "wrong"), timeout=10).status_code == 401
    password = (stack.state_dir / "hub/proxy-api-password").read_text().strip()
    routers = requests.get(api, auth=(PROXY_API_USER, password), timeout=10)
    assert routers.status_code == 200
    rules = " ".join(r["rule"] for r in routers.json())
    assert "/user/alice/" in rules or "/hub/" in rules
    # the public port routes /api/... to the hub, not to traefik's API
    public = requests.get(f"{stack.hub_url}/api/http/routers", auth=(PROXY_API_USER, password), timeout=10)
    assert public.status_code == 404 and "loadBalancer" not in public.text
