"""Bad types get a 400 in words, never a 500 with a traceback (and the request's
X-XSRFToken) in the log. Seen before: `storage/list?limit=abc`, secrets `cas` of `"x"`,
`[1]` or `{}`, `value?version=1.5`, `restore` with version `"abc"`, deeply nested JSON."""

import pytest

API = ""  # alice calls every API of her server: storage/..., secrets/... (tests/clients.py)


CASES = [
    ("GET", "storage/personal/list", {"params": {"limit": "abc"}}, "limit"),
    ("GET", "storage/personal/list", {"params": {"limit": "0"}}, "limit"),
    ("PUT", "secrets/personal/secret", {"json": {"path": "typed", "data": {"A": "b"}, "cas": "x"}}, "cas"),
    ("PUT", "secrets/personal/secret", {"json": {"path": "typed", "data": {"A": "b"}, "cas": [1]}}, "cas"),
    ("PUT", "secrets/personal/secret", {"json": {"path": "typed", "data": {"A": "b"}, "cas": {}}}, "cas"),
    ("PUT", "secrets/personal/secret", {"json": {"path": "typed", "data": {"A": "b"}, "cas": -1}}, "cas"),
    ("GET", "secrets/personal/value", {"params": {"path": "typed", "version": "1.5"}}, "version"),
    ("POST", "secrets/personal/restore", {"json": {"path": "typed", "version": "abc"}}, "version"),
    ("POST", "secrets/personal/restore", {"json": {"path": "typed"}}, "version"),
    ("PUT", "secrets/personal/secret", {"data": "[" * 100000 + "]" * 100000}, "JSON"),
    ("PUT", "secrets/personal/secret", {"data": '{"a":' * 40 + "1" + "}" * 40}, "levels"),
]


@pytest.mark.parametrize("method, path, kwargs, words", CASES)
def test_bad_types_are_400_in_words(stack, alice, method, path, kwargs, words):
    r = alice(method, path, **kwargs)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert words in r.json()["message"], r.json()
