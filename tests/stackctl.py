"""Start and stop a real `datalab up` for tests, and log in through its real OIDC form.

Everything here talks to real processes over real sockets on 127.0.0.1.
"""

import html.parser
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import psutil
import requests

from jupyterhub_datalab.devstack.ports import MAX_OFFSET, OFFSETS, port_is_free

DATALAB = [sys.executable, "-m", "jupyterhub_datalab.cli"]


def free_base_port():
    """A base port whose every port of the stack is free.

    Below Linux's ephemeral range (32768 and up): there, any outgoing connection, or a
    single-user server's random port, could take a port of the stack between this check
    and the component binding it (seen: the datalab service, bound after the hub, found
    its port in use)."""
    for _ in range(200):
        base = random.randrange(20000, 32768 - MAX_OFFSET - 1)
        if all(port_is_free(base + offset) for offset, _ in OFFSETS.values()):
            return base
    raise RuntimeError("no free port range found on 127.0.0.1")


class RunningStack:
    def __init__(self, state_dir, port, command=DATALAB):
        """``command`` runs `datalab` (default: this environment's; the wheel test's venv's)."""
        self.state_dir = Path(state_dir)
        self.port = port
        self.command = list(command)
        self.proc = None
        self.output = self.state_dir.parent / f"datalab-up-{port}.out"
        self.endpoints = None

    def start(self, timeout=180):
        self.state_dir.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.output, "wb")
        self.proc = subprocess.Popen(
            [*self.command, "up", "--state-dir", str(self.state_dir), "--port", str(self.port)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"datalab up exited {self.proc.returncode}:\n{self.read_output()}")
            if "Press Ctrl-C to stop" in self.read_output():
                self.endpoints = json.loads((self.state_dir / "endpoints.json").read_text())
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"datalab up not ready in {timeout} s:\n{self.read_output()}")

    def read_output(self):
        try:
            return self.output.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def process_tree(self):
        """Every process of the stack now: the supervisor and all its descendants."""
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def server_envs(self, username):
        """The environment of each of the user's running servers in this stack, by server name.

        Read from /proc: the tests run as the same OS user as the embedded stack, so they
        see what the spawner really gave each server, tokens and credentials included.
        Only this stack's processes are looked at (descendants of its supervisor): another
        `datalab up` on the machine has its own alice (seen: a demo beside the tests gave
        them its alice's environment, without the secret the test had injected)."""
        return {env.get("JUPYTERHUB_SERVER_NAME", ""): env for _, env in self._servers(username)}

    def server_env(self, username, server=""):
        """The environment of one of the user's running servers (the default one unless named)."""
        return self.server_process(username, server).environ()

    def server_process(self, username, server=""):
        """The psutil process of one of the user's running servers in this stack."""
        for proc, env in self._servers(username):
            if env.get("JUPYTERHUB_SERVER_NAME", "") == server:
                return proc
        raise AssertionError(f"no running server {server!r} for {username} in the stack on port {self.port}")

    def _servers(self, username):
        for proc in self.process_tree():
            try:
                if any("jupyterhub-singleuser" in a for a in proc.cmdline()):
                    env = proc.environ()
                    if env.get("JUPYTERHUB_USER") == username:
                        yield proc, env
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue

    def stop(self, timeout=90):
        """SIGTERM the supervisor as Ctrl-C would; return the PIDs it had."""
        pids = {p.pid for p in self.process_tree()}
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                raise
        return pids

    def status(self):
        """`datalab status --json` of this stack: its components' PIDs, health, restarts."""
        r = subprocess.run([*self.command, "status", "--state-dir", str(self.state_dir), "--json"],
                           capture_output=True, text=True, timeout=60, check=True)
        return json.loads(r.stdout)

    @property
    def hub_url(self):
        return self.endpoints["hub_url"].rstrip("/")

    def password(self, username):
        for login in self.endpoints["demo_logins"]:
            if login["username"] == username:
                return login["password"]
        raise KeyError(username)


def serve_stack(tmp_path_factory, name="stack", prepare=None):
    """A fixture's body: a real `datalab up` of its own, stopped as Ctrl-C would, with no
    process left behind (yields the RunningStack). ``prepare(state_dir)`` writes files
    before the first start (overrides, hub config.d)."""
    state = tmp_path_factory.mktemp(name) / "state"
    if prepare:
        prepare(state)
    running = RunningStack(state, free_base_port())
    running.start()
    yield running
    pids = running.stop()
    assert running.proc.returncode == 0, running.read_output()
    assert not alive(pids), f"processes left after shutdown: {alive(pids)}"


def alive(pids):
    """The PIDs of `pids` that still run (zombies count as gone)."""
    still = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                still.append(pid)
        except psutil.NoSuchProcess:
            pass
    return still


class _FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "inputs": {}})
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["inputs"][attrs["name"]] = attrs.get("value", "")


def parse_forms(page):
    parser = _FormParser()
    parser.feed(page)
    return parser.forms


def oidc_login(hub_url, username, password):
    """Log in to the hub the way a browser does, through the provider's form.

    Returns the requests.Session holding the hub's cookies.
    """
    session = requests.Session()
    r = session.get(f"{hub_url}/hub/oauth_login?next=", timeout=30)
    r.raise_for_status()
    forms = [f for f in parse_forms(r.text) if "password" in f["inputs"]]
    assert forms, f"no login form at {r.url}:\n{r.text[:500]}"
    form = forms[0]
    data = {**form["inputs"], "username": username, "password": password}
    r = session.post(urllib.parse.urljoin(r.url, form["action"]), data=data, timeout=60)
    session.last_response = r
    return session


def spawn_form_post(session, hub_url, username, entry="jupyter-python", options=None, server=""):
    """Post the spawn page's form as a browser does: the entry's card and some fields.

    ``options`` maps dotted option paths to form values, e.g. ``{"resources.cpu": "2"}``.
    Returns the response (the spawn pending page, or the form again with an error).
    """
    url = f"{hub_url}/hub/spawn/{username}" + (f"/{server}" if server else "")
    page = session.get(url, timeout=60)
    if 'id="spawn_form"' not in page.text:  # already running: the hub sent us to the server
        return page
    # the hub's xsrf token: browsers prove the same origin with Sec-Fetch headers, we with it
    xsrf = next(c.value for c in session.cookies if c.name == "_xsrf" and c.path.startswith("/hub"))
    data = {"_xsrf": xsrf, "entry": entry}
    data.update({f"{entry}/{path}": value for path, value in (options or {}).items()})
    return session.post(url, data=data, timeout=60)


def start_server(session, hub_url, username, timeout=120, entry="jupyter-python", options=None,
                 server=""):
    """Start one of the user's servers from the spawn page and return the lab page response."""
    r = spawn_form_post(session, hub_url, username, entry, options, server)
    assert r.status_code == 200, r.text[:500]
    lab = f"{hub_url}/user/{username}/" + (f"{server}/" if server else "") + "lab"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = session.get(lab, timeout=30)
        if r.status_code == 200 and r.url.split("?")[0] == lab:
            return r
        if server and r.status_code == 404:
            # a named server's route is added once it is up; until then its URL
            # falls through to the default server, which knows no such page
            time.sleep(0.5)
            continue
        if "/hub/login" in r.url or r.status_code >= 400:
            raise AssertionError(f"{username} cannot open JupyterLab: {r.status_code} {r.url}")
        time.sleep(0.5)
    raise AssertionError(f"{username}'s JupyterLab not ready in {timeout} s; last {r.status_code} {r.url}")


def page_config(lab_page):
    """The JSON JupyterLab embeds in its page (lists the federated extensions)."""
    marker = 'id="jupyter-config-data"'
    start = lab_page.index(marker)
    start = lab_page.index(">", start) + 1
    end = lab_page.index("</script>", start)
    return json.loads(lab_page[start:end])


def xsrf_of(session, path):
    """The ``_xsrf`` cookie the browser would send to ``path`` (the most specific one)."""
    cookies = [c for c in session.cookies if c.name == "_xsrf" and path.startswith(c.path.rstrip("/"))]
    return max(cookies, key=lambda c: len(c.path)).value


ANSI = re.compile(r"\x1b\[[0-9;]*m")


class RemoteKernel:
    """A new kernel of a user's (named) server, driven over its REST API and the same
    websocket JupyterLab uses: code runs with what the spawner gave that server."""

    def __init__(self, session, hub_url, username, server="", path="", timeout=300):
        import uuid

        import websocket

        self.session, self.timeout = session, timeout
        self.base = f"{hub_url}/user/{username}" + (f"/{server}" if server else "")
        prefix = self.base[len(hub_url):]
        self.headers = {"X-XSRFToken": xsrf_of(session, f"{prefix}/api")}
        r = session.post(f"{self.base}/api/kernels", json={"name": "python3", "path": path},
                         headers=self.headers, timeout=60)
        assert r.status_code == 201, r.text
        self.id = r.json()["id"]
        cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        self.ws = websocket.create_connection(
            self.base.replace("http://", "ws://") + f"/api/kernels/{self.id}/channels",
            header=[f"Cookie: {cookie}"], origin=hub_url, timeout=timeout)
        self.session_id = uuid.uuid4().hex

    def execute(self, code):
        """(stdout text, error traceback or None) of one cell."""
        import uuid

        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": "test", "session": self.session_id,
                       "msg_type": "execute_request", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
        out, error = [], None
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                error = ANSI.sub("", "\n".join(msg["content"]["traceback"]))
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out), error
        raise AssertionError(f"cell not done in {self.timeout} s:\n{code}")

    def close(self):
        self.ws.close()
        self.session.delete(f"{self.base}/api/kernels/{self.id}", headers=self.headers, timeout=30)


def run_in_kernel(session, hub_url, username, code, timeout=120):
    """Run ``code`` in a new kernel of the user's server, over the real websocket.

    Returns the kernel's stdout; raises AssertionError with the traceback on error.
    """
    kernel = RemoteKernel(session, hub_url, username, timeout=timeout)
    try:
        out, error = kernel.execute(code)
    finally:
        kernel.close()
    if error:
        raise AssertionError(f"kernel error:\n{error}")
    return out


class AppSite:
    """A companion's UI as a browser reaches it: the hub's origin sends the visitor, with a
    ticket, to the app's own host (``<name>--<owner>.apps.localhost``, which Chromium
    resolves to the loopback itself; here each request connects by address with a
    ``Host`` header), whose cookies stay in a jar of their own, as a browser keeps them."""

    def __init__(self, hub_session, hub_url, path, timeout=60):
        self.timeout = timeout
        self.netloc, location, url = None, "", hub_url + path
        for _ in range(10):  # the hub's own redirects (the service's OAuth) until the app's host
            self.first = hub_session.get(url, allow_redirects=False, timeout=timeout)
            location = self.first.headers.get("Location", "")
            if not location:
                break
            parts = urllib.parse.urlsplit(location)
            if (parts.hostname or "").endswith(".localhost"):
                self.netloc = parts.netloc
                break
            url = urllib.parse.urljoin(url, location)
        self.session = requests.Session()
        self.last = self.get(location) if self.netloc else (
            hub_session.get(url, timeout=timeout) if location else self.first)

    @property
    def origin(self):
        return f"http://{self.netloc}"

    def request(self, method, url, **kw):
        """Follow redirects within the app's host; stop at any other (the hub's login)."""
        headers = kw.pop("headers", {})
        for _ in range(10):
            parts = urllib.parse.urlsplit(urllib.parse.urljoin(self.origin + "/", url))
            if parts.netloc != self.netloc:
                raise AssertionError(f"left the app's origin for {url}")
            port = parts.port or 80
            target = urllib.parse.urlunsplit(("http", f"127.0.0.1:{port}", parts.path, parts.query, ""))
            r = self.session.request(method, target, headers={**headers, "Host": self.netloc},
                                     allow_redirects=False, timeout=self.timeout, **kw)
            location = r.headers.get("Location")
            if r.status_code not in (301, 302, 303, 307, 308) or not location:
                return r
            if urllib.parse.urlsplit(location).netloc not in ("", self.netloc):
                return r  # sent away (to the hub's origin to be recognised)
            url, method = location, ("GET" if r.status_code == 303 else method)
        raise AssertionError(f"too many redirects from {url}")

    def get(self, url, **kw):
        return self.request("GET", url, **kw)
