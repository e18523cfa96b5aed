"""A fuzz pass over the user server's JSON APIs (storage, secrets, companion services), on a
real stack: whatever the types, sizes and nesting of what a client sends, the answer is a
status under 500 with a message in words. Seen before: 14 inputs (``limit=abc``, a ``cas`` of
``"x"``, deeply nested JSON...) answered 500 with a traceback. Runs as carol, whose space
no other test reads."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

API = ""  # carol calls every API of her server (tests/clients.py)


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
FIELDS = ["key", "source", "target", "overwrite", "expires_in", "path", "data", "cas", "version",
          "injected", "folder", "name", "options", "project", "bucket", "prefix", "limit", "token"]
SCALARS = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | TEXT
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12)
BODIES = st.dictionaries(st.sampled_from(FIELDS) | TEXT, VALUES, max_size=6)
QUERIES = st.dictionaries(st.sampled_from(FIELDS + ["tail", "kind", "category"]),
                          TEXT | st.integers(-10**12, 10**12).map(str), max_size=4)
# what the routes take (``[a-z0-9-]{1,64}``): other paths are not the API's (a 404 page)
SPACES = st.sampled_from(["personal", "project-stats", "nope"]) | st.from_regex(r"\A[a-z0-9-]{1,64}\Z")
ENDPOINTS = [
    ("GET", "storage/{space}/list"), ("GET", "storage/{space}/object"), ("DELETE", "storage/{space}/object"),
    ("POST", "storage/{space}/folder"), ("POST", "storage/{space}/move"), ("POST", "storage/{space}/share"),
    ("GET", "storage/{space}/preview"), ("PUT", "storage/{space}/upload"),
    ("GET", "secrets/{space}/list"), ("GET", "secrets/{space}/secret"), ("PUT", "secrets/{space}/secret"),
    ("DELETE", "secrets/{space}/secret"), ("GET", "secrets/{space}/value"),
    ("POST", "secrets/{space}/rename"), ("POST", "secrets/{space}/restore"), ("POST", "secrets/{space}/inject"),
    ("GET", "services/services"), ("POST", "services/services"), ("GET", "services/catalog"),
    ("POST", "services/links"), ("GET", "services/env"), ("POST", "services/services/carol/x/share"),
    ("GET", "services/services/carol/x/logs"),
]




@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(endpoint=st.sampled_from(ENDPOINTS), space=SPACES, query=QUERIES, body=BODIES,
       raw=st.booleans())
def test_no_input_reaches_a_500(carol, endpoint, space, query, body, raw):
    method, template = endpoint
    path = template.format(space=space.replace("?", "").replace("#", ""))
    data = None
    if method in ("POST", "PUT"):
        # sometimes not JSON at all: what a broken client sends
        data = json.dumps(body).encode()
        if raw:
            data = data[:-1] + b"\xff"
    r = carol(method, path, params=query, data=data, timeout=60,
              headers={"Content-Type": "application/json"})
    assert r.status_code < 500, (method, path, query, body, r.status_code, r.text[:300])
    if r.status_code >= 400:
        message = r.json().get("message")
        assert message and "Traceback" not in message, (method, path, r.text[:300])
