"""Refused and never-started named servers do not count toward the named-server limit.
Seen before: each refused spawn, and a plain cross-site GET of `/hub/spawn/<user>/<name>?x=1`,
left a named-server record, and five such links locked the user out of new servers."""


from ..stackctl import spawn_form_post, start_server
from .test_spawn_profiles import hub_api, wait_stopped

API = "hub"  # what alice, bob and carol call (tests/clients.py)

USER = "carol"  # the demo user no other test gives named servers


def test_links_and_refused_starts_leave_no_server_that_counts(stack, carol):
    for i in range(6):
        # what an image on another site makes the browser send: a GET with its cookies
        r = carol.get(f"{stack.hub_url}/hub/spawn/{USER}/lure{i}?x=1", timeout=60,
                      headers={"Sec-Fetch-Site": "cross-site"})
        assert "maximum of" not in r.text, f"link {i} hit the limit: {r.text[-500:]}"
    for i in range(3):
        r = spawn_form_post(carol, stack.hub_url, USER, options={"resources.cpu": "64"}, server=f"bad{i}")
        assert "above the maximum" in r.text, r.text[-2000:]
    start_server(carol, stack.hub_url, USER, server="real")
    try:
        servers = hub_api(carol, stack.hub_url, "GET", f"users/{USER}").json()["servers"]
        assert not [name for name in servers if name.startswith(("lure", "bad"))], servers
    finally:
        assert hub_api(carol, stack.hub_url, "DELETE", f"users/{USER}/servers/real").status_code in (202, 204)
        wait_stopped(carol, stack.hub_url, USER, "real")
    # a stopped server that ran once is kept, and still counts
    model = hub_api(carol, stack.hub_url, "GET", f"users/{USER}?include_stopped_servers=1").json()
    assert "real" in model["servers"], model["servers"]
    hub_api(carol, stack.hub_url, "DELETE", f"users/{USER}/servers/real", body={"remove": True})
