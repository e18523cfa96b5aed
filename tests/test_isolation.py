"""The embedded default separates users as a multi-user machine does: from carol's kernel,
no other user's processes or credentials, no key of the state dir, nothing writable but her
home, no bucket through SeaweedFS's internal filer port. Seen before: carol's kernel read
alice's and bob's AWS_* and VAULT_TOKEN from /proc/*/environ, the OpenBao root token in the
state dir, and any bucket at the filer (base port + 11) without credentials."""

import json
import os
import secrets

import boto3
import pytest

from jupyterhub_datalab.devstack.ports import OFFSETS

from .stackctl import oidc_login, run_in_kernel, start_server

PROBE = r"""
import json, os
seen = {"users": set(), "secrets": [], "state": None, "keys": {}, "write": {}}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        env = open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace").split("\0")
    except OSError:
        continue
    env = dict(kv.split("=", 1) for kv in env if "=" in kv)
    if env.get("JUPYTERHUB_USER"):
        seen["users"].add(env["JUPYTERHUB_USER"])
    for key in ("AWS_SECRET_ACCESS_KEY", "VAULT_TOKEN"):
        if key in env and env.get("JUPYTERHUB_USER") != "carol":
            seen["secrets"].append(key)
state = STATE
seen["state"] = sorted(os.listdir(state)) if os.path.isdir(state) else None
for rel in ("vault/init.json", "s3/admin.json", "hub/cookie-secret", "users/alice"):
    path = os.path.join(state, rel)
    try:
        seen["keys"][rel] = os.listdir(path) if os.path.isdir(path) else len(open(path).read())
    except OSError as e:
        seen["keys"][rel] = type(e).__name__
for target in (CODE, "/etc/datalab-probe", os.path.join(state, "users/alice/x")):
    try:
        with open(os.path.join(target, "probe") if os.path.isdir(target) else target, "w") as f:
            f.write("x")
        seen["write"][target] = "written"
    except OSError as e:
        seen["write"][target] = type(e).__name__
seen["home"] = open(os.path.expanduser("~/probe.txt"), "w").write("mine")
import urllib.request, urllib.error
seen["filer"] = {}
for method, url in (("GET", FILER + "/buckets/user-alice/"), ("GET", FILER + "/buckets/"),
                    ("PUT", FILER + "/buckets/user-alice/planted.txt")):
    request = urllib.request.Request(url, method=method, data=b"x" if method == "PUT" else None,
                                     headers={"Accept": "application/json"})
    try:
        seen["filer"][method + " " + url] = urllib.request.urlopen(request, timeout=10).status
    except urllib.error.HTTPError as e:
        seen["filer"][method + " " + url] = e.code
    except OSError as e:
        seen["filer"][method + " " + url] = type(e).__name__
seen["users"] = sorted(seen["users"])
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def sessions(stack):
    out = {}
    for name in ("alice", "bob", "carol"):
        out[name] = oidc_login(stack.hub_url, name, stack.password(name))
        start_server(out[name], stack.hub_url, name)
    return out


def test_carols_kernel_sees_no_other_user_nor_the_state_dirs_keys(stack, sessions):
    import jupyterhub_datalab

    filer = f"http://127.0.0.1:{stack.port + OFFSETS['weed_filer'][0]}"
    code = PROBE.replace("FILER", repr(filer)).replace("STATE", repr(str(stack.state_dir))).replace(
        "CODE", repr(str(__import__("pathlib").Path(jupyterhub_datalab.__file__).parent)))
    seen = json.loads(run_in_kernel(sessions["carol"], stack.hub_url, "carol", code).strip().splitlines()[-1])
    assert seen["users"] in ([], ["carol"]), f"carol sees the servers of {seen['users']}"
    assert not seen["secrets"], seen["secrets"]
    assert seen["state"] == ["users"], f"carol sees {seen['state']} in the state dir"
    for rel in ("vault/init.json", "s3/admin.json", "hub/cookie-secret", "users/alice"):
        assert seen["keys"][rel] in ("FileNotFoundError", []), (rel, seen["keys"][rel])
    assert set(seen["write"].values()) <= {"OSError", "PermissionError", "FileNotFoundError"}, seen["write"]
    # SeaweedFS's filer (an internal port) answers no one without its key
    assert all(status in (401, 403) for status in seen["filer"].values()), seen["filer"]
    assert seen["home"] == 4 and (stack.state_dir / "users/carol/probe.txt").read_text() == "mine"
    # and alice's own server still has what it needs (its credentials, its files)
    out = run_in_kernel(sessions["alice"], stack.hub_url, "alice",
                        "import os; print(bool(os.environ.get('AWS_SECRET_ACCESS_KEY')), os.getcwd())")
    assert out.split()[0] == "True" and out.split()[1].endswith("users/alice"), out


SCAN = r"""
import json, os, urllib.request, urllib.error
from concurrent.futures import ThreadPoolExecutor
ports = set()
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    for line in open(table).read().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A":  # LISTEN, on any address of this machine
            ports.add(int(local.rsplit(":", 1)[1], 16))

def get(url, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=3) as r:
            return [r.status, r.read(200000).decode(errors="replace")]
    except urllib.error.HTTPError as e:
        return [e.code, e.read(200000).decode(errors="replace")]
    except Exception as e:
        return [type(e).__name__, ""]

# alice's app, and alice's bucket asked of every port as S3 and as the filer
paths = [PATH + "_stcore/health", "/user-alice/", "/user-alice?list-type=2", "/buckets/user-alice/",
         "/buckets/user-alice/?pretty=y", "/user-alice/" + CANARY]
asks = [(port, path) for port in sorted(ports) for path in paths]
with ThreadPoolExecutor(32) as pool:
    got = dict(zip(asks, pool.map(lambda a: get(f"http://127.0.0.1:{a[0]}{a[1]}"), asks)))
answers = {str(port): [got[(port, paths[0])][0], got[(port, paths[0])][1][:50]] for port in sorted(ports)}
answers["leaks"] = {f"{port}{path}": a[1][:200] for (port, path), a in got.items()
                    if "top secret" in a[1] or (CANARY in a[1] and CANARY not in path)}
status, text = get(HUB_URL + PATH + "_stcore/health",
                   {"Authorization": "token " + os.environ["JUPYTERHUB_API_TOKEN"]})
answers["hub"] = [status, text[:50]]
print(json.dumps(answers))
"""


def test_an_app_answers_only_the_proxy_and_sees_nothing_of_the_machine(stack, sessions):
    """alice's app (her code, which she may share) runs sandboxed and listens where only the
    datalab's proxy reaches it. Seen before: MLflow and Streamlit answered on their own
    loopback ports to anyone, and an app ran as the stack's account outside any sandbox."""
    from .clients import Client
    from .service.test_companions_api import wait_ready

    alice = Client(stack, "alice", api="services")
    apps = stack.state_dir / "users/alice/apps"
    apps.mkdir(parents=True, exist_ok=True)
    (apps / "peek.py").write_text("import streamlit as st\nst.write('hello')\n")
    r = alice("POST", "services", json={"entry": "app", "name": "peek",
                                        "options": {"file": "apps/peek.py", "secrets": False}})
    assert r.status_code == 201, r.text
    try:
        path = wait_ready(alice, "alice", "peek")["url"]
        # a file in alice's bucket that no one but her may list or read
        server = stack.server_env("alice")
        canary = f"canary-{secrets.token_hex(6)}.txt"
        boto3.client("s3", endpoint_url=server["AWS_ENDPOINT_URL"], region_name="us-east-1",
                     aws_access_key_id=server["AWS_ACCESS_KEY_ID"],
                     aws_secret_access_key=server["AWS_SECRET_ACCESS_KEY"],
                     aws_session_token=server["AWS_SESSION_TOKEN"]).put_object(
            Bucket="user-alice", Key=canary, Body=b"top secret")
        scan = SCAN.replace("HUB_URL", repr(stack.hub_url)).replace("PATH", repr(path)).replace(
            "CANARY", repr(canary))
        # carol finds every listening port of the machine: none serves alice's app
        answers = json.loads(run_in_kernel(sessions["carol"], stack.hub_url, "carol", scan).strip().splitlines()[-1])
        assert len(answers) > 5, answers  # she did see the stack's ports
        assert answers.pop("leaks") == {}, "alice's bucket answered carol without credentials"
        served = {port: a for port, a in answers.items() if a[0] == 200 and a[1].strip() == "ok"}
        assert not served, f"alice's app answers carol at {served}"
        assert answers["hub"][0] in (403, 404), answers["hub"]  # her own token: not hers to open
        # alice's own kernel reaches it through the proxy with her server's token
        answers = json.loads(run_in_kernel(sessions["alice"], stack.hub_url, "alice", scan).strip().splitlines()[-1])
        assert answers.pop("leaks") == {}  # not even to her: no credentials were sent
        assert answers["hub"] == [200, "ok"], answers["hub"]
        # and it runs in a sandbox of its own: another PID namespace than the stack's
        record = json.loads((stack.state_dir / "services/local/alice/peek/companion.json").read_text())
        assert record["sandboxed"] and record["socket"], record
        own = os.readlink("/proc/self/ns/pid")
        assert os.readlink(f"/proc/{record['pid']}/ns/pid") != own
    finally:
        alice("DELETE", "services/alice/peek")
