"""Companions survive restarts: of the datalab service alone (a crash), and of `datalab up`.

Its own stack (two runs on one state dir), apart from the shared one.
"""

import json
import os
import signal
import time

import psutil
import pytest

from ..clients import Client
from ..stackctl import RunningStack, alive, free_base_port, run_in_kernel
from .test_companions_api import wait_ready
from ..waiting import wait_until

READ = """
import os, psycopg
with psycopg.connect(os.environ["DATABASE_URL_{name}"]) as db:
    db.execute("CREATE TABLE IF NOT EXISTS notes (text TEXT)")
    {write}
    print(sorted(r[0] for r in db.execute("SELECT text FROM notes").fetchall()))
"""


def sql(client, stack, name, write=None):
    code = READ.format(name=name.upper(), write=f"db.execute(\"INSERT INTO notes VALUES ('{write}')\")"
                       if write else "pass")
    return run_in_kernel(client.session, stack.hub_url, client.user, code)


def companion_pid(stack, name):
    record = json.loads((stack.state_dir / f"services/local/alice/{name}/companion.json").read_text())
    return record["pid"]


def service_process(stack):
    for proc in stack.process_tree():
        try:
            if "jupyterhub_datalab.service" in " ".join(proc.cmdline()):
                return proc
        except psutil.NoSuchProcess:
            continue
    raise AssertionError("no datalab service process in the stack")


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    running = RunningStack(tmp_path_factory.mktemp("restart") / "state", free_base_port())
    running.start()
    yield running
    if running.proc.poll() is None:
        pids = running.stop()
        assert not alive(pids), f"processes left after shutdown: {alive(pids)}"


def test_running_services_are_found_again_and_stopped_ones_restart_with_their_data(own_stack):
    stack = own_stack
    alice = Client(stack, "alice", api="services")
    for name in ("keep", "paused"):
        assert alice("POST", "services", json={"entry": "postgresql", "name": name}).status_code == 201
    for name in ("keep", "paused"):
        wait_ready(alice, "alice", name)
        assert "before" in sql(alice, stack, name, write="before")
    assert alice("POST", "services/alice/paused/stop").json()["status"] == "stopped"
    alice("POST", "services/alice/keep/share", json={"project": "stats"})
    pid = companion_pid(stack, "keep")

    # 1. the service process crashes: the hub starts it again, it finds PostgreSQL running
    t0 = time.monotonic()
    service = service_process(stack)
    os.kill(service.pid, signal.SIGKILL)
    r = wait_until(lambda: (r := alice("GET", "services")).status_code == 200 and r,
                   "the service answering again", timeout=90, interval=0.5)
    print(f"service back {time.monotonic() - t0:.1f} s after a crash")
    assert service_process(stack).pid != service.pid
    seen = {s["name"]: s for s in r.json()["services"]}
    assert seen["keep"]["status"] == "ready" and seen["keep"]["shared"]
    assert seen["paused"]["status"] == "stopped"
    assert companion_pid(stack, "keep") == pid and psutil.pid_exists(pid)  # the same process
    assert "before" in sql(alice, stack, "keep")

    # 2. the whole stack stops (nothing left running) and starts again on the same state dir
    pids = stack.stop()
    assert stack.proc.returncode == 0, stack.read_output()
    assert not alive(pids) and not psutil.pid_exists(pid), "processes left after shutdown"
    t0 = time.monotonic()
    stack.start()
    alice = Client(stack, "alice", api="services")
    keep = wait_ready(alice, "alice", "keep")
    print(f"stack up again and PostgreSQL resumed in {time.monotonic() - t0:.1f} s")
    assert keep["shared"] and keep["project"] == "stats"
    assert alice("GET", "services/alice/paused").json()["status"] == "stopped"
    assert "before" in sql(alice, stack, "keep", write="after")
    events = [e["message"] for e in alice("GET", "services/alice/keep/events").json()["events"]]
    assert any("Started by the datalab service" in m for m in events), events
    # the stopped one starts again on its data
    assert alice("POST", "services/alice/paused/start").status_code == 200
    wait_ready(alice, "alice", "paused")
    assert "['before']" in sql(alice, stack, "paused")
    bob = Client(stack, "bob", api="services")
    assert [s["name"] for s in bob("GET", "services").json()["services"]] == ["keep"]
