"""Sharing without takeover, in a real browser: bob opens the Streamlit app alice shares
with their project. It is served on its own origin; the app records what it receives, and
none of bob's cookies of the hub, the datalab service or the identity provider may be among
it (the provider's `_session` once reached a shared app, and a fresh client holding it
logged in as bob); its JavaScript cannot read bob's server or the hub (it once read his
secrets, his `_xsrf` and started kernels there), nor frame their pages."""

import json

from ..browser import screenshot, sign_in
from ..clients import Client
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
        assert page.url.startswith(f"http://spy--alice.apps.localhost:{stack.port + 16}{url}"), page.url
        assert "_datalab_ticket" not in page.url
        # what the app's JavaScript can reach, run in its page
        reach = page.evaluate("""async ([hub, user]) => {
            const out = {};
            for (const [key, url] of Object.entries({
                secrets: `${hub}/user/${user}/datalab/api/secrets/personal/list`,
                lab: `${hub}/user/${user}/lab`, hub: `${hub}/hub/home`,
                here_user: `/user/${user}/lab`, here_hub: `/hub/home`})) {
              try {
                const r = await fetch(url, {credentials: 'include'});
                out[key] = {status: r.status, text: (await r.text()).slice(0, 200)};
              } catch (e) { out[key] = {error: String(e)}; }
            }
            out.cookies = document.cookie;
            return out;
        }""", [stack.hub_url, "bob"])
        for key in ("secrets", "lab", "hub"):  # other origins: the browser hides the answer
            assert "error" in reach[key], (key, reach[key])
        for key in ("here_user", "here_hub"):  # the app's origin serves nothing of the hub
            assert reach[key].get("status") == 404, (key, reach[key])
        visible = cookie_names(reach["cookies"])  # the app's own (Streamlit's XSRF cookie) only
        assert "_xsrf" not in visible and not any(n.startswith("jupyterhub") for n in visible), visible
        # what the browser holds for the hub, the service and the provider (not for the app's host)
        held = {c["name"] for c in context.cookies() if c["domain"] != "spy--alice.apps.localhost"}
        # the browser does hold what an attacker wants: the provider's session and the hub's
        assert {"_session", "_session.sig"} <= held, held
        assert any(name.startswith("jupyterhub-") for name in held), held
        seen = json.loads(seen_file.read_text())
        received = cookie_names(seen["cookie"]) | set(seen["cookies"])
        leaked = sorted(name for name in received if name in held)
        assert not leaked, f"alice's app received bob's cookies {leaked}"
        # the hub's and bob's server's pages refuse to be framed by another origin
        for path in ("/hub/home", "/user/bob/lab"):
            policy = page.request.get(stack.hub_url + path, max_redirects=0).headers.get(
                "content-security-policy", "")
            assert "frame-ancestors 'none'" in policy or "frame-ancestors 'self'" in policy, (path, policy)
    finally:
        context.close()
        alice("DELETE", "services/alice/spy")
