"""Sharing without takeover, in a real browser: bob opens the Streamlit app alice shares
with their project. The app records what it receives; none of bob's cookies of the hub,
the datalab service or the identity provider may be among it (the provider's `_session`
once reached a shared app, and a fresh client holding it logged in as bob)."""

import json

from ..browser import screenshot, sign_in
from ..server.test_storage_api import Client
from .test_companions_api import wait_ready

SPY = """import json, pathlib
import streamlit as st
seen = {"cookie": st.context.headers.get("Cookie", ""), "cookies": sorted(st.context.cookies)}
pathlib.Path(__file__).with_name("spy-seen.json").write_text(json.dumps(seen))
st.write("recorded")
"""


def cookie_names(header):
    return {part.split("=", 1)[0].strip() for part in header.split(";") if "=" in part}


def test_a_shared_app_receives_none_of_its_visitors_cookies(stack, chromium):
    alice = Client(stack, "alice", api="services")
    apps = stack.state_dir / "users/alice/apps"
    apps.mkdir(parents=True, exist_ok=True)
    (apps / "spy.py").write_text(SPY)
    seen_file = apps / "spy-seen.json"
    seen_file.unlink(missing_ok=True)
    r = alice("POST", "services", json={"entry": "app", "name": "spy",
                                        "options": {"file": "apps/spy.py", "secrets": False}})
    assert r.status_code == 201, r.text
    context = chromium.new_context()
    try:
        url = wait_ready(alice, "alice", "spy")["url"]
        assert alice("POST", "services/alice/spy/share", json={"project": "stats"}).status_code == 200
        page = context.new_page()
        sign_in(page, stack, "bob")
        page.goto(stack.hub_url + url)
        page.wait_for_selector("text=recorded", timeout=120_000)
        screenshot(page, "shared-app-opened-by-bob")
        held = {c["name"] for c in context.cookies()}
        # the browser does hold what an attacker wants: the provider's session and the hub's
        assert {"_session", "_session.sig"} <= held, held
        assert any(name.startswith("jupyterhub-") for name in held), held
        seen = json.loads(seen_file.read_text())
        received = cookie_names(seen["cookie"]) | set(seen["cookies"])
        leaked = sorted(name for name in received if name in held)
        assert not leaked, f"alice's app received bob's cookies {leaked}"
    finally:
        context.close()
        alice("DELETE", "services/alice/spy")
