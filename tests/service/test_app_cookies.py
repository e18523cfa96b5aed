"""The UI proxy's cookie allowlist, as pure functions: an app gets back only what it set."""

import pytest

from jupyterhub_datalab.service.proxy import app_cookie_prefix, app_cookies, app_set_cookie

pytestmark = pytest.mark.unit

PREFIX = app_cookie_prefix("alice", "cache")
PATH = "/services/datalab/open/alice/cache/"


def test_only_the_apps_own_cookies_go_back_to_it_under_their_own_names():
    browser = ("_session=provider; _session.sig=sig; jupyterhub-session-id=s; _xsrf=x; "
               "jupyterhub-services-datalab=token; dlapp.alice.cache.theme=dark; "
               "dlapp.alice.cache-2.theme=other; dlapp.bob.cache.theme=bob; dlapp.alice.cache.=empty")
    assert app_cookies(browser, PREFIX) == "theme=dark"
    assert app_cookies("", PREFIX) == "" and app_cookies("garbage;;=", PREFIX) == ""


@pytest.mark.parametrize("set_cookie, stored", [
    ("theme=dark", f"dlapp.alice.cache.theme=dark; Path={PATH}"),
    ("sid=1; Path=/; Domain=127.0.0.1; HttpOnly", f"dlapp.alice.cache.sid=1; Path={PATH}; HttpOnly"),
    (f"sid=1; path={PATH}static; SameSite=Lax", f"dlapp.alice.cache.sid=1; path={PATH}static; SameSite=Lax"),
    ("_session=forged; Domain=localhost", f"dlapp.alice.cache._session=forged; Path={PATH}"),
])
def test_what_an_app_sets_is_kept_under_its_name_host_only_and_within_its_path(set_cookie, stored):
    assert app_set_cookie(set_cookie, PREFIX, PATH) == stored


def test_a_nameless_cookie_is_dropped():
    assert app_set_cookie("=x; Path=/", PREFIX, PATH) is None
    assert app_set_cookie("novalue", PREFIX, PATH) is None
