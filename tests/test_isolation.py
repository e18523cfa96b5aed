"""The embedded default separates users as a multi-user machine does: from carol's kernel,
no other user's processes or credentials, no key of the state dir, nothing writable but her
home, no bucket through SeaweedFS's internal filer port. Seen before: carol's kernel read
alice's and bob's AWS_* and VAULT_TOKEN from /proc/*/environ, the OpenBao root token in the
state dir, and any bucket at the filer (base port + 11) without credentials."""

import json

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
