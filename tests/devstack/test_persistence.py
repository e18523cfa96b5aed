"""Restarting `datalab up` on the same state dir keeps users, files, objects and secrets;
stopping it leaves no process behind."""

import json
import sqlite3
import urllib.request

import boto3

from ..stackctl import RunningStack, alive, free_base_port, oidc_login


def _s3(stack):
    creds = json.loads((stack.state_dir / "s3/admin.json").read_text())
    return boto3.client(
        "s3", endpoint_url=stack.endpoints["s3_endpoint"], region_name="us-east-1",
        aws_access_key_id=creds["access_key"], aws_secret_access_key=creds["secret_key"],
    )


def _vault(stack, method, path, body=None):
    token = json.loads((stack.state_dir / "vault/init.json").read_text())["root_token"]
    request = urllib.request.Request(
        f"{stack.endpoints['vault_addr']}/v1/{path}", method=method,
        data=json.dumps(body).encode() if body else None,
        headers={"X-Vault-Token": token},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read() or b"{}")


def test_restart_keeps_objects_secrets_and_users(tmp_path):
    state = tmp_path / "state"
    first = RunningStack(state, free_base_port()).start()
    try:
        _s3(first).create_bucket(Bucket="persist-test")
        _s3(first).put_object(Bucket="persist-test", Key="dir/hello.txt", Body=b"bonjour")
        _vault(first, "POST", "secret/data/persist", {"data": {"answer": "42"}})
        session = oidc_login(first.hub_url, "carol", first.password("carol"))
        assert session.last_response.status_code == 200
        (state / "users/carol").mkdir(parents=True, exist_ok=True)
        (state / "users/carol/notes.md").write_text("# kept")
        passwords = first.endpoints["demo_logins"]
    finally:
        pids = first.stop()
    assert first.proc.returncode == 0, first.read_output()
    assert pids and not alive(pids), f"left running after shutdown: {alive(pids)}"
    assert not (state / "endpoints.json").exists()

    second = RunningStack(state, first.port).start()
    try:
        body = _s3(second).get_object(Bucket="persist-test", Key="dir/hello.txt")["Body"].read()
        assert body == b"bonjour"
        secret = _vault(second, "GET", "secret/data/persist")
        assert secret["data"]["data"] == {"answer": "42"}
        assert second.endpoints["demo_logins"] == passwords
        with sqlite3.connect(state / "hub/jupyterhub.sqlite") as db:
            users = {row[0] for row in db.execute("select name from users")}
        assert "carol" in users
        assert (state / "users/carol/notes.md").read_text() == "# kept"
        again = oidc_login(second.hub_url, "carol", second.password("carol"))
        assert again.last_response.status_code == 200
    finally:
        pids = second.stop()
    assert not alive(pids)


def test_a_killed_supervisor_leaves_nothing_behind_at_next_start(tmp_path):
    """If `datalab up` is SIGKILLed, its children die with it or are reaped at next start."""
    import os
    import signal
    import time

    state = tmp_path / "state"
    first = RunningStack(state, free_base_port()).start()
    pids = {p.pid for p in first.process_tree()} - {first.proc.pid}
    os.kill(first.proc.pid, signal.SIGKILL)
    first.proc.wait(10)
    deadline = time.monotonic() + 30
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    second = RunningStack(state, first.port).start()
    try:
        assert not alive(pids), f"orphans of the killed run: {alive(pids)}"
    finally:
        assert not alive(second.stop())
