"""DatalabKubeSpawner end to end: a real JupyterHub and proxy, an emulated Kubernetes API.

The Kubernetes API is the only emulated part (no real apiserver can run here): kmock
with the shims and the pod runner of ``apiserver.py``, which starts each pod's
single-user server as a local process. The hub (``configure(c,
spawner="datalab-kubernetes")``), configurable-http-proxy, KubeSpawner and the
single-user servers are real processes on 127.0.0.1. Authentication is JupyterHub's
DummyAuthenticator (logins are not under test here); the tests call the REST API with
an admin service token, as an API client would.
"""

import json
import os
import secrets
import subprocess
import sys
import time
import types

import psutil
import pytest
import requests

from jupyterhub_datalab.devstack.nodejs import node_command

from ..stackctl import free_base_port
from ..waiting import wait_until
from .apiserver import ClusterThread, stop_process

TOKEN = secrets.token_hex(16)
HAND = {"datalab.io/managed-by": "hand"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = ClusterThread(tmp_path_factory.mktemp("pods")).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def hub(cluster, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hub")
    base = free_base_port()
    url, hub_port, api_port = f"http://127.0.0.1:{base}", base + 1, base + 2
    (tmp / "jupyterhub_config.py").write_text(f"""
c = get_config()  # noqa
from jupyterhub_datalab.hubconfig import configure
configure(c, spawner="datalab-kubernetes")
from importlib.metadata import entry_points
if not entry_points(group="jupyterhub.spawners", name="datalab-kubernetes"):
    # an editable install made before the entry point was declared: same class, by path
    c.JupyterHub.spawner_class = "jupyterhub_datalab.kubespawner.DatalabKubeSpawner"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.services = [{{"name": "tester", "api_token": {TOKEN!r}}}]
c.JupyterHub.load_roles = c.JupyterHub.load_roles + [{{
    "name": "tester", "services": ["tester"],
    "scopes": ["admin:users", "admin:servers", "access:servers", "read:users"]}}]
c.JupyterHub.bind_url = {url + "/"!r}
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = {node_command("configurable-http-proxy.mjs")!r}
c.JupyterHub.db_url = "sqlite:///{tmp}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{tmp}/cookie-secret"
c.JupyterHub.pid_file = "{tmp}/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.KubeSpawner.k8s_api_host = {cluster.url!r}
c.KubeSpawner.k8s_api_verify_ssl = False
c.DatalabKubeSpawner.hub_namespace = "datalab"
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
""")
    env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig(tmp / "kubeconfig"))}
    with open(tmp / "hub.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(tmp / "jupyterhub_config.py")],
                                cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    api = f"{url}/hub/api"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, (tmp / "hub.log").read_text()
        try:
            if requests.get(api, timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    else:
        stop_process(proc)
        raise AssertionError("hub not up:\n" + (tmp / "hub.log").read_text())
    children = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
    yield types.SimpleNamespace(url=url, api=api, log=tmp / "hub.log", proc=proc)
    stop_process(proc, timeout=30)
    assert not [p for p in children if psutil.pid_exists(p)
                and psutil.Process(p).status() != psutil.STATUS_ZOMBIE], "the proxy outlived the hub"


def call(hub, method, path, body=None, **kw):
    return requests.request(method, f"{hub.api}{path}", json=body, timeout=60,
                            headers={"Authorization": f"token {TOKEN}"}, **kw)


def spawn(hub, user, server, entry="jupyter-python", options=None):
    call(hub, "POST", f"/users/{user}")
    return call(hub, "POST", f"/users/{user}/servers/{server}",
                {"user_options": {"entry": entry, "options": options or {}}})


def wait_ready(hub, user, server, timeout=60):
    def ready():
        model = call(hub, "GET", f"/users/{user}").json()["servers"].get(server) or {}
        if not model.get("pending") and not model.get("ready"):
            raise AssertionError(f"{user}/{server} stopped: {model}\n{hub.log.read_text()[-3000:]}")
        return model if model.get("ready") else None

    return wait_until(ready, f"{user}/{server} ready", timeout)


def wait_stopped(hub, user, server, timeout=60):
    wait_until(lambda: server not in call(hub, "GET", f"/users/{user}").json()["servers"],
               f"{user}/{server} stopped", timeout)


def writes(cluster):
    """(method, path) of every write the emulated API received."""
    requests_ = cluster.call(lambda: list(cluster.cluster._requests))
    return [(str(getattr(r.method, "value", r.method)).upper(), r.url.path) for r in requests_
            if str(getattr(r.method, "value", r.method)).upper() in ("POST", "PATCH", "PUT")]


def names(cluster, resource, namespace=None):
    return sorted(o["metadata"]["name"] for o in cluster.objects(resource, namespace))


def test_spawn_reach_and_stop_a_server_through_the_rest_api(hub, cluster):
    options = {"resources": {"cpu": 2, "memory": 6}, "version": "py3.12.9"}
    r = spawn(hub, "alice", "lab", options=options)
    assert r.status_code in (201, 202), r.text
    wait_ready(hub, "alice", "lab")
    [pod] = cluster.objects("v1/pods", "user-alice")
    container = pod["spec"]["containers"][0]
    assert pod["metadata"]["name"] == "jupyter-alice--lab"
    assert container["image"] == "inseefrlab/onyxia-jupyter-python:py3.12.9"
    assert float(container["resources"]["limits"]["cpu"]) == 2
    assert int(container["resources"]["limits"]["memory"]) == 6 * 1024**3
    assert "JUPYTERHUB_API_TOKEN" not in {e["name"] for e in container["env"] if "value" in e}
    # the namespace and its 5 objects
    assert "user-alice" in names(cluster, "v1/namespaces")
    assert names(cluster, "v1/serviceaccounts", "user-alice") == ["datalab"]
    assert names(cluster, "rbac.authorization.k8s.io/v1/rolebindings", "user-alice") == ["datalab-edit"]
    assert names(cluster, "v1/resourcequotas", "user-alice") == ["datalab-quota"]
    assert names(cluster, "v1/limitranges", "user-alice") == ["datalab-limits"]
    assert names(cluster, "networking.k8s.io/v1/networkpolicies", "user-alice") == ["datalab-ingress"]
    assert "jupyter-alice--lab-env" in names(cluster, "v1/secrets", "user-alice")
    assert names(cluster, "v1/persistentvolumeclaims", "user-alice") == ["claim-alice--lab"]
    # the server answers through the proxy
    r = requests.get(f"{hub.url}/user/alice/lab/api/status", timeout=30,
                     headers={"Authorization": f"token {TOKEN}"})
    assert r.status_code == 200, r.text
    proc = cluster.cluster.processes[("user-alice", "jupyter-alice--lab")]
    assert psutil.pid_exists(proc.pid)
    r = call(hub, "DELETE", "/users/alice/servers/lab")
    assert r.status_code in (202, 204), r.text
    wait_stopped(hub, "alice", "lab")
    assert cluster.objects("v1/pods", "user-alice") == []
    assert "jupyter-alice--lab-env" not in names(cluster, "v1/secrets", "user-alice")
    assert proc.poll() is not None, "the server's process still runs"


def test_a_quota_refusal_reaches_the_user_in_words(hub, cluster):
    from jupyterhub_datalab import kubernetes as k8s

    # an admin gave carol a small quota by hand: the datalab must keep it and meet it
    quota = k8s.resource_quota_manifest("user-carol", {"limits.cpu": "1"})
    quota["metadata"]["annotations"] = dict(HAND)
    cluster.call(cluster.cluster.objects.__setitem__, ("v1/resourcequotas", "user-carol", "datalab-quota"),
                 quota)
    r = spawn(hub, "carol", "big", options={"resources": {"cpu": 2, "memory": 2}})
    assert r.status_code == 403, r.text
    message = r.json()["message"]
    assert message.startswith("Your namespace's quota is used up: limits.cpu: requested 2, "
                              "already used 0, limit 1. Stop another server or ask for more."), message
    assert "Le quota de votre espace est épuisé" in message and "Traceback" not in message
    # the spawn page's progress stream says the same
    r = call(hub, "GET", "/users/carol/servers/big/progress", stream=True)
    events = [json.loads(line[5:]) for line in r.iter_lines(decode_unicode=True) if line.startswith("data:")]
    assert events[-1]["failed"] and "quota is used up" in events[-1]["message"], events
    assert cluster.objects("v1/pods", "user-carol") == []
    [kept] = cluster.objects("v1/resourcequotas", "user-carol")
    assert kept["spec"]["hard"] == {"limits.cpu": "1"}
    assert "jupyter-carol--big-env" not in names(cluster, "v1/secrets", "user-carol")


def test_an_out_of_bounds_option_is_refused_and_nothing_is_created(hub, cluster):
    r = spawn(hub, "dave", "lab", options={"resources": {"cpu": 64}})
    assert r.status_code == 400, r.text
    assert "resources.cpu" in r.json()["message"] and "maximum" in r.json()["message"]
    assert "user-dave" not in names(cluster, "v1/namespaces")
    assert cluster.objects("v1/pods", "user-dave") == []


@pytest.mark.asyncio
async def test_ensuring_namespaces_twice_creates_nothing_and_keeps_hand_made_objects(cluster, tmp_path,
                                                                                     monkeypatch):
    from kubernetes_asyncio.config import kube_config

    from jupyterhub_datalab import kubernetes as k8s
    from jupyterhub_datalab.kubespawner import DatalabKubeSpawner

    # read at import time by kubernetes_asyncio, which may already be imported
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION",
                        str(cluster.kubeconfig(tmp_path / "kubeconfig")))
    user = types.SimpleNamespace(name="erin", id=7, url="/user/erin/",
                                 groups=[types.SimpleNamespace(name="stats")])
    spawner = DatalabKubeSpawner(_mock=True, user=user, k8s_api_host=cluster.url,
                                 k8s_api_verify_ssl=False, hub_namespace="datalab")
    policy = k8s.network_policy_manifest("project-stats", "elsewhere")
    policy["metadata"]["annotations"] = dict(HAND)
    cluster.call(cluster.cluster.objects.__setitem__,
                 ("networking.k8s.io/v1/networkpolicies", "project-stats", "datalab-ingress"), policy)
    first = await spawner.ensure_namespaces()
    assert len(first["created"]) == 11 and first["kept"] == ["NetworkPolicy/datalab-ingress"]
    assert any(e["message"].startswith("Preparing your namespace user-erin")
               for e in spawner._progress_events)
    before = len(writes(cluster))
    second = await spawner.ensure_namespaces()
    assert set(second) == {"unchanged", "kept"} and len(second["unchanged"]) == 11
    assert {method for method, _ in writes(cluster)[before:]} == {"POST"}, "an object was changed"
    # a setting changed: the datalab's own quota follows, the hand-made policy does not
    spawner.user_quota = {"limits.cpu": "2"}
    third = await spawner.ensure_namespaces()
    assert third["updated"] == ["ResourceQuota/datalab-quota"]
    [quota] = cluster.objects("v1/resourcequotas", "user-erin")
    assert quota["spec"]["hard"] == {"limits.cpu": "2"}
    [policy] = cluster.objects("networking.k8s.io/v1/networkpolicies", "project-stats")
    assert policy["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "elsewhere"}


def deletes(cluster):
    requests_ = cluster.call(lambda: list(cluster.cluster._requests))
    return [r.url.path for r in requests_ if str(getattr(r.method, "value", r.method)).upper() == "DELETE"]


@pytest.mark.asyncio
async def test_leaving_a_project_revokes_its_binding_and_a_role_change_replaces_bindings(cluster, tmp_path,
                                                                                        monkeypatch):
    """Seen on a real cluster's rules: member-<user> bindings stayed after a user left the
    group, and changing namespaces.clusterRole patched roleRef, which a real API server
    refuses (422), so every existing user's spawn broke."""
    from kubernetes_asyncio.config import kube_config

    from jupyterhub_datalab.kubespawner import DatalabKubeSpawner

    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION",
                        str(cluster.kubeconfig(tmp_path / "kubeconfig")))
    user = types.SimpleNamespace(name="frank", id=8, url="/user/frank/",
                                 groups=[types.SimpleNamespace(name="stats"), types.SimpleNamespace(name="geo")])
    spawner = DatalabKubeSpawner(_mock=True, user=user, k8s_api_host=cluster.url,
                                 k8s_api_verify_ssl=False, hub_namespace="datalab")
    await spawner.ensure_namespaces()
    assert "member-frank" in names(cluster, "rbac.authorization.k8s.io/v1/rolebindings", "project-geo")
    # frank leaves geo: his next start removes his binding there, keeps stats'
    user.groups = [types.SimpleNamespace(name="stats")]
    done = await spawner.ensure_namespaces()
    assert done["deleted"] == ["RoleBinding/project-geo/member-frank"], done
    assert "member-frank" not in names(cluster, "rbac.authorization.k8s.io/v1/rolebindings", "project-geo")
    assert "member-frank" in names(cluster, "rbac.authorization.k8s.io/v1/rolebindings", "project-stats")
    # the admin changes the namespaces' role: bindings are replaced, never patched
    before = len(writes(cluster))
    spawner.namespace_cluster_role = "view"
    done = await spawner.ensure_namespaces()
    patched = [path for method, path in writes(cluster)[before:] if method == "PATCH" and "rolebindings" in path]
    assert not patched, patched
    assert any(path.endswith("/rolebindings/datalab-edit") for path in deletes(cluster))
    [own] = [b for b in cluster.objects("rbac.authorization.k8s.io/v1/rolebindings", "user-frank")
             if b["metadata"]["name"] == "datalab-edit"]
    assert own["roleRef"]["name"] == "view"


def test_a_hashed_username_spawns_a_server_and_a_training_under_restricted(hub, cluster):
    """Seen on a real cluster's rules: any name normalised to ``slug--hash`` (jean.dupont,
    an e-mail, Alice) was refused by the namespace step (``--`` not allowed, HTTP 400), and
    z2jh's privileged init container made user pods fail Pod Security. Here jean.dupont's
    servers start through the REST API, on the strict emulated API that admits pods by the
    namespace's level."""
    from jupyterhub_datalab.names import normalize_name, pvc_name

    name = normalize_name("jean.dupont")
    assert "--" in name
    for server, entry in (("lab", "jupyter-python"), ("training", "first-steps")):
        r = spawn(hub, name, server, entry=entry)
        assert r.status_code in (201, 202), r.text
        wait_ready(hub, name, server)
    namespace = f"user-{name}"
    [ns] = [n for n in cluster.objects("v1/namespaces") if n["metadata"]["name"] == namespace]
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    pods = {p["metadata"]["name"]: p for p in cluster.objects("v1/pods", namespace)}
    assert len(pods) == 2, sorted(pods)
    claims = names(cluster, "v1/persistentvolumeclaims", namespace)
    for server in ("lab", "training"):
        # KubeSpawner's own slug of the name (it hashes a name holding "--" once more),
        # the one companions use to mount the workspace
        assert pvc_name(name, server) in claims, claims
        r = requests.get(f"{hub.url}/user/{name}/{server}/api/status", timeout=30,
                         headers={"Authorization": f"token {TOKEN}"})
        assert r.status_code == 200, r.text
    for server in ("lab", "training"):
        assert call(hub, "DELETE", f"/users/{name}/servers/{server}").status_code in (202, 204)
        wait_stopped(hub, name, server)
