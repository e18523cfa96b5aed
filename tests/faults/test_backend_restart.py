"""One component down never takes the platform down. Seen before: SIGKILL of SeaweedFS, and
about 10 s later the supervisor stopped everything (the hub, every user's server and
kernel, the companions), quoting an unrelated log line. Now the supervisor restarts the
backend (with backoff and a limit) while the hub and servers keep running; `datalab
status` shows the restart and the real failure."""

import json
import os
import signal

import pytest

from ..clients import Client
from ..stackctl import RemoteKernel, serve_stack
from ..waiting import wait_until


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    """A stack of this module's own: its backends get killed."""
    yield from serve_stack(tmp_path_factory, "faults")


@pytest.mark.parametrize("component", ["seaweedfs", "openbao"])
def test_a_killed_backend_comes_back_and_kernels_keep_computing(own_stack, component):
    stack = own_stack
    storage = Client(stack, "alice")
    secrets = Client(stack, "alice", api="secrets")
    kernel = RemoteKernel(storage.session, stack.hub_url, "alice")
    try:
        assert kernel.execute("x = 21")[1] is None
        before = stack.status()
        pid = before["components"][component]
        os.kill(pid, signal.SIGKILL)
        # the kernel keeps running and computing while the backend is down
        out, error = kernel.execute("print(x * 2)")
        assert error is None and out.strip() == "42"
        after = wait_until(lambda: (s := stack.status()) and s["health"][component]["restarts"] >= 1
                           and s["health"][component]["state"] == "running" and s,
                           f"{component} restarted", interval=0.5)
        assert after["components"][component] != pid
        failure = after["health"][component]["last_failure"]
        assert "was killed by SIGKILL" in failure and component in failure, failure
        assert "LockRing" not in failure  # an info line is not the cause
        # its data came back with it: writes work again, the kernel still has its state
        if component == "seaweedfs":
            wait_until(lambda: (r := storage("PUT", "personal/upload", params={"key": "after-crash.txt"},
                                             data=b"still here")).status_code == 200 and r,
                       "uploading again", interval=0.5)
            assert storage("GET", "personal/object", params={"key": "after-crash.txt"}).content == b"still here"
        else:
            wait_until(lambda: secrets("PUT", "personal/secret", json={
                "path": "after-crash", "data": {"AFTER": "crash"}}).status_code == 200, "writing secrets",
                interval=0.5)
        out, error = kernel.execute("print(x)")
        assert error is None and out.strip() == "21"
        assert all(h["state"] == "running" for h in stack.status()["health"].values())
    finally:
        kernel.close()


def test_a_hung_s3_answers_in_words_within_seconds_and_an_unknown_write_says_so(own_stack):
    """Seen before: with SeaweedFS stopped (SIGSTOP), list, upload and download each blocked
    about 180 s before a 503, and an upload answered as failed was stored once S3 resumed."""
    stack = own_stack
    storage = Client(stack, "alice")
    assert storage("PUT", "personal/upload", params={"key": "before-hang.txt"}, data=b"x").status_code == 200
    pid = stack.status()["components"]["seaweedfs"]
    os.kill(pid, signal.SIGSTOP)
    try:
        answers = {}
        for what, call in (
                ("list", lambda: storage("GET", "personal/list", timeout=60)),
                ("download", lambda: storage("GET", "personal/object", params={"key": "before-hang.txt"},
                                             timeout=60)),
                ("upload", lambda: storage("PUT", "personal/upload", params={"key": "during-hang.txt"},
                                           data=b"maybe", timeout=60,
                                           headers={"Accept-Language": "fr-FR,fr;q=0.9"}))):
            answers[what] = call()  # a requests Timeout (60 s) fails the test: the wait is bounded
        for what in ("list", "download"):
            r = answers[what]
            assert r.status_code == 503 and "did not answer" in r.json()["message"], (what, r.text)
        r = answers["upload"]
        assert r.status_code == 504, r.text
        # a write whose outcome is unknown says so, in the caller's language
        assert "peut-être" in r.json()["message"] and "Actualisez" in r.json()["message"], r.text
    finally:
        os.kill(pid, signal.SIGCONT)
    # S3 answers again by itself; what was written before is intact
    wait_until(lambda: storage("GET", "personal/list").status_code == 200, "listing again", interval=0.5)
    assert storage("GET", "personal/object", params={"key": "before-hang.txt"}).content == b"x"


def test_a_hung_identity_provider_at_login_gets_words_and_the_code_stays_out_of_the_log(own_stack):
    """Seen before: with the provider hung during the callback's token exchange, a bare
    "500 : Internal Server Error" after 20 s, and the hub's log held the callback's `code`
    and `state` in clear."""
    import urllib.parse

    import requests

    from ..stackctl import parse_forms

    stack = own_stack
    session = requests.Session()
    r = session.get(f"{stack.hub_url}/hub/oauth_login?next=", timeout=30)
    form = next(f for f in parse_forms(r.text) if "password" in f["inputs"])
    r = session.post(urllib.parse.urljoin(r.url, form["action"]), allow_redirects=False, timeout=60,
                     data={**form["inputs"], "username": "alice", "password": stack.password("alice")})
    while r.is_redirect:
        location = urllib.parse.urljoin(r.url, r.headers["Location"])
        if "/hub/oauth_callback" in location:
            break
        r = session.get(location, allow_redirects=False, timeout=60)
    assert "/hub/oauth_callback" in location, location
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]
    pid = stack.status()["components"]["oidc-provider"]
    os.kill(pid, signal.SIGSTOP)
    try:
        r = session.get(location, timeout=60, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    finally:
        os.kill(pid, signal.SIGCONT)
    assert r.status_code == 503, (r.status_code, r.text[:300])
    page = r.content.decode("utf-8")
    assert "ne répond pas" in page and "does not answer" in page, page[page.find('class="error"'):][:600]
    logs = "".join(p.read_text(errors="replace") for p in (stack.state_dir / "logs").glob("*.log"))
    assert "oauth_callback" in logs and code not in logs, "the authorization code is in a log"


def test_the_datalab_service_killed_comes_back_and_finds_its_companions(own_stack):
    """The hub restarts its managed service; meanwhile the Services panel says so in words,
    and the companions it ran keep running and are found again (adopted), not restarted."""
    import psutil

    from ..service.test_companions_api import wait_ready

    stack = own_stack
    services = Client(stack, "alice", api="services")
    r = services("POST", "services", json={"entry": "redis", "name": "cache"})
    assert r.status_code == 201, r.text
    try:
        wait_ready(services, "alice", "cache")
        record = json.loads((stack.state_dir / "services/local/alice/cache/companion.json").read_text())
        config = str(stack.state_dir / "hub/jupyterhub_config.py")
        service = next(p for p in psutil.process_iter(["cmdline"])
                       if "jupyterhub_datalab.service" in " ".join(p.info["cmdline"] or [])
                       and config in (p.info["cmdline"] or []))  # this stack's, not another's
        service.kill()
        wait_until(lambda: not service.is_running() or service.status() == psutil.STATUS_ZOMBIE,
                   "the service gone", timeout=10)
        r = services("GET", "services")
        if r.status_code != 200:  # the hub may already have started it again
            assert r.status_code in (502, 503) and "datalab" in r.json()["message"].lower(), r.text
        listed = wait_until(lambda: (r := services("GET", "services")).status_code == 200 and r.json(),
                            "the service back", timeout=90, interval=0.5)
        cache = next(s for s in listed["services"] if s["name"] == "cache")
        assert cache["status"] == "ready", cache
        again = json.loads((stack.state_dir / "services/local/alice/cache/companion.json").read_text())
        assert again["pid"] == record["pid"], "the companion was restarted, not found again"
    finally:
        services("DELETE", "services/alice/cache")
