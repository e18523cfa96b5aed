"""The hub's rights on a cluster: every call the spawner and the datalab service make is
granted by the chart's RBAC, no rule is unused, and nothing is granted cluster-wide but
what has no namespace (or what KubeSpawner must watch across namespaces).

The calls are real: the datalab's spawner (KubeSpawner included) and companions' backend
talking HTTP to the emulated Kubernetes API (``apiserver.py``, ``workloads.py``: the only
emulated part, no real API server runs here), which logs every request. The rights are
real too: the chart rendered by real Helm (``tests/helm/test_chart.py``'s fixture). The
emulated API authorises everything, so the log is replayed through ``rbac.py``, the
published RBAC rules as a checker, in order: the RoleBindings the code makes grant the
calls after them, as on a real cluster. Seen before: a ClusterRoleBinding gave the hub
secrets, pods and role bindings in every namespace, kube-system included, with rules no
code used.
"""

import json
import types

import pytest

from jupyterhub_datalab import kubernetes as k8s
from jupyterhub_datalab.catalog import check_options, load, shipped_catalog, to_launch
from jupyterhub_datalab.companions import Companion
from jupyterhub_datalab.companions.kubernetes import KubernetesBackend

from ..helm.test_chart import helm, helm_python  # noqa: F401  (fixtures)
from .apiserver import ROLE_BINDINGS, ClusterThread
from .rbac import Authorizer, Call, call_of, replay
from .workloads import WorkloadCluster

# what the hub may do outside the namespaces it manages, and why: nothing else
CLUSTER_WIDE = {
    ("create", "", "namespaces"), ("list", "", "namespaces"),  # users' and projects' namespaces
    ("list", "", "pods"), ("watch", "", "pods"),  # KubeSpawner's pod reflector, all namespaces
    ("list", "", "events"), ("watch", "", "events"),  # and its event reflector (spawn progress)
    ("create", "rbac.authorization.k8s.io", "rolebindings"),  # the hub's binding in a new namespace
    ("bind", "rbac.authorization.k8s.io", "clusterroles"),  # of the chart's namespaced role only
}


# -- the checker itself ---------------------------------------------------------------------

ACCOUNT = ("datalab", "hub")
ROLE = {"kind": "ClusterRole", "metadata": {"name": "r"}, "rules": [
    {"apiGroups": [""], "resources": ["secrets", "namespaces"], "verbs": ["get", "list"]},
    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"], "resourceNames": ["one"]},
    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["create"]}]}
BIND = {"kind": "ClusterRole", "metadata": {"name": "binder"}, "rules": [
    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"],
     "resourceNames": ["r"]}]}


def binding(kind, namespace, role="r", subject=None):
    meta = {"name": f"b-{role}", **({"namespace": namespace} if namespace else {})}
    return {"kind": kind, "metadata": meta, "roleRef": {"kind": "ClusterRole", "name": role},
            "subjects": [subject or {"kind": "ServiceAccount", "namespace": "datalab", "name": "hub"}]}


@pytest.mark.unit
def test_request_attributes_follow_the_api_servers_request_info():
    assert call_of("GET", "/api/v1/namespaces/user-a/secrets/s") == Call("get", "", "secrets", "user-a", "s")
    assert call_of("GET", "/api/v1/namespaces/user-a/pods?watch=True").verb == "watch"
    assert call_of("GET", "/api/v1/pods?labelSelector=x") == Call("list", "", "pods", "", "")
    assert call_of("GET", "/api/v1/namespaces/user-a") == Call("get", "", "namespaces", "user-a", "user-a")
    assert call_of("POST", "/api/v1/namespaces") == Call("create", "", "namespaces", "", "")
    assert call_of("GET", "/api/v1/namespaces/u/pods/p/log").resource == "pods/log"
    assert call_of("PUT", "/apis/apps/v1/namespaces/u/deployments/d") == Call("update", "apps", "deployments", "u", "d")
    assert call_of("DELETE", "/api/v1/namespaces/u/secrets").verb == "deletecollection"


@pytest.mark.unit
def test_a_role_binding_grants_in_its_namespace_only():
    rbac = Authorizer([ROLE, binding("RoleBinding", "user-a")])
    assert rbac.check(ACCOUNT, call_of("GET", "/api/v1/namespaces/user-a/secrets/s"))[1] is None
    assert rbac.check(ACCOUNT, call_of("GET", "/api/v1/namespaces/kube-system/secrets/s"))[1]
    assert rbac.check(ACCOUNT, call_of("GET", "/api/v1/namespaces/user-a"))[1] is None  # the namespace itself
    assert rbac.check(ACCOUNT, call_of("GET", "/api/v1/namespaces"))[1]  # a cluster-scoped list: never
    assert rbac.check(("other", "hub"), call_of("GET", "/api/v1/namespaces/user-a/secrets/s"))[1]
    everywhere = Authorizer([ROLE, binding("ClusterRoleBinding", "")])
    assert everywhere.check(ACCOUNT, call_of("GET", "/api/v1/namespaces/kube-system/secrets/s"))[1] is None
    assert everywhere.check(ACCOUNT, call_of("GET", "/api/v1/namespaces"))[1] is None
    group = Authorizer([ROLE, binding("RoleBinding", "u", subject={"kind": "Group",
                                                                  "name": "system:serviceaccounts:datalab"})])
    assert group.check(ACCOUNT, call_of("GET", "/api/v1/namespaces/u/secrets/s"))[1] is None


@pytest.mark.unit
def test_resource_names_never_grant_lists_or_creations_and_bindings_need_bind():
    rbac = Authorizer([ROLE, BIND, binding("RoleBinding", "u")])
    assert rbac.check(ACCOUNT, call_of("GET", "/api/v1/namespaces/u/configmaps/one"))[1] is None
    assert rbac.check(ACCOUNT, call_of("GET", "/api/v1/namespaces/u/configmaps/two"))[1]
    assert rbac.check(ACCOUNT, call_of("GET", "/api/v1/namespaces/u/configmaps"))[1]
    made = {"metadata": {"name": "x"}, "roleRef": {"kind": "ClusterRole", "name": "r"}, "subjects": []}
    create = call_of("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/u/rolebindings", made)
    assert "escalation" in rbac.check(ACCOUNT, create)[1]
    rbac.add(binding("RoleBinding", "u", role="binder"))
    assert rbac.check(ACCOUNT, create)[1] is None
    # a binding made by an allowed call grants the calls after it, not before
    creator = {"kind": "ClusterRole", "metadata": {"name": "creator"},
               "rules": [*ROLE["rules"][2:], *BIND["rules"]]}
    read = call_of("GET", "/api/v1/namespaces/v/secrets/s")
    made["subjects"] = [{"kind": "ServiceAccount", "namespace": "datalab", "name": "hub"}]
    refusals, used = replay(Authorizer([ROLE, creator, binding("ClusterRoleBinding", "", "creator")]), ACCOUNT,
                            [read, call_of("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/v/rolebindings",
                                           made), read])
    assert refusals == ["get core/secrets/s in v: no rule grants it"]
    assert (("ClusterRole", "", "r"), 0, "get", "", "secrets") in used


# -- the datalab's calls against the chart's rights ---------------------------------------------


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = ClusterThread(tmp_path_factory.mktemp("pods"), cluster_class=WorkloadCluster).start()
    yield running
    running.stop()


def rendered_rbac(docs):
    """The chart's RBAC objects and its settings (release namespace, the hub's role)."""
    rbac = [d for d in docs if d["kind"] in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")]
    [config] = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "datalab-config"]
    return rbac, json.loads(config["data"]["settings.json"])


def logged_calls(cluster):
    requests_ = cluster.call(lambda: list(cluster.cluster._requests))
    calls = []
    for r in requests_:
        path = r.url.path_qs if hasattr(r.url, "path_qs") else str(r.url)
        parts = [p for p in r.url.path.split("/") if p]
        if len(parts) < (3 if parts[:1] == ["api"] else 4):
            continue  # discovery (/api, /apis/<group>/<version>): every account may
        method = str(getattr(r.method, "value", r.method)).upper()
        calls.append(call_of(method, path, r.data if isinstance(r.data, dict) else None))
    return calls


async def exercise_spawner(cluster, settings, tmp_path, monkeypatch):
    """What the hub does for a user: namespaces and their objects (made, then brought in line
    after each setting the admin may change), the server's Secret, disk and pod, stop."""
    from kubernetes_asyncio.config import kube_config

    from jupyterhub_datalab.catalog import DatalabCatalog
    from jupyterhub_datalab.kubespawner import DatalabKubeSpawner

    from ..test_kubernetes_manifests import SECRETS

    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION",
                        str(cluster.kubeconfig(tmp_path / "kubeconfig")))

    async def no_auth_state():
        return None

    user = types.SimpleNamespace(name="alice", id=1, url="/user/alice/", get_auth_state=no_auth_state,
                                 groups=[types.SimpleNamespace(name="stats"), types.SimpleNamespace(name="geo")])
    orm_spawner = types.SimpleNamespace(name="lab", user_options=None, server=None, state=None)
    d = settings["datalab"]
    spawner = DatalabKubeSpawner(
        _mock=True, user=user, orm_spawner=orm_spawner, k8s_api_host=cluster.url, k8s_api_verify_ssl=False,
        hub_namespace=settings["release"]["namespace"], hub_namespace_role=settings["hubNamespaceRole"],
        hub_service_account=d["rbac"]["hubServiceAccount"], namespace_cluster_role=d["namespaces"]["clusterRole"],
        start_timeout=30)
    spawner.api_token = "hub-api-token"
    spawner._credential_env = dict(SECRETS)
    spawner.launch = launch = DatalabCatalog().launch("jupyter-python", {"disk": 5}, username="alice")
    await spawner.apply_launch(launch)
    await spawner._start()
    await spawner.ensure_env_secret()  # a second start: the Secret is replaced
    await spawner.stop(now=True)
    # the admin changes settings: each object is brought in line (patched); a change of
    # namespaces.clusterRole comes with the chart's new `bind` rule (test_kubespawner.py)
    spawner.user_quota = {"limits.cpu": "2"}
    spawner.namespace_labels = {"example.org/team": "stats"}
    spawner.limit_range = {"default": {"cpu": "2", "memory": "4Gi"}}
    spawner.automount_service_account_token = False

    def hand_edit():  # someone changed objects the datalab made: they are put back
        objects = cluster.cluster._objects
        binding = objects[("rbac.authorization.k8s.io/v1/rolebindings", "project-stats", "member-alice")]
        binding.patch({"subjects": [*binding.raw["subjects"], {"kind": "ServiceAccount", "name": "x",
                                                               "namespace": "y"}]})
        objects[("networking.k8s.io/v1/networkpolicies", "user-alice", "datalab-ingress")].patch(
            {"spec": {"ingress": [{}]}})
    cluster.call(hand_edit)
    await spawner.ensure_namespaces()
    user.groups = [types.SimpleNamespace(name="stats")]  # alice leaves geo
    await spawner.ensure_namespaces()


async def start_namespaces(cluster, settings, name, tmp_path, monkeypatch):
    """The namespaces' part of a start of ``name``'s server, with the chart's settings."""
    from kubernetes_asyncio.config import kube_config

    from jupyterhub_datalab.kubespawner import DatalabKubeSpawner

    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION",
                        str(cluster.kubeconfig(tmp_path / "kubeconfig")))
    user = types.SimpleNamespace(name=name, id=1, url=f"/user/{name}/", groups=[])
    d = settings["datalab"]
    spawner = DatalabKubeSpawner(
        _mock=True, user=user, k8s_api_host=cluster.url, k8s_api_verify_ssl=False,
        hub_namespace=settings["release"]["namespace"], hub_namespace_role=settings["hubNamespaceRole"],
        hub_service_account=d["rbac"]["hubServiceAccount"], namespace_cluster_role=d["namespaces"]["clusterRole"])
    return await spawner.ensure_namespaces()


async def exercise_backend(cluster, catalog):
    """What the datalab service does with a companion: launch, launch again, status, logs,
    events, stop, discover after a restart, delete."""
    backend = KubernetesBackend(api_host=cluster.url, catalog=catalog, admission_timeout=5)
    try:
        entry = catalog["postgresql"]
        context = {"user": {"name": "alice", "email": "", "project": "", "projects": []}, "region": {}}
        launch = to_launch(entry, check_options(entry, {"disk": 2}, context))
        c = Companion(owner="alice", name="db", entry="postgresql", version="", options={},
                      namespace="user-alice", endpoint={"prefix": "/services/datalab/open/alice/db/"})
        await backend.launch(c, launch, {})
        await backend.launch(c, launch, {})
        assert (await backend.status(c))[0] == "ready"
        assert await backend.logs(c)
        await backend.events(c)
        c.project, c.shared = "stats", True  # shared with a project after its launch
        await backend.share_changed(c)
        await backend.share_changed(c)
        await backend.stop(c)
        [found] = await KubernetesBackend(api_host=cluster.url, catalog=catalog).discover()
        assert found.key == c.key
        await backend.delete(c)
    finally:
        await backend.close()


def chart_rbac(render):
    """The chart's rendered RBAC objects and settings, the hub's account, the catalog."""
    ok, docs, _, _ = render()
    assert ok, docs
    objects, settings = rendered_rbac(docs)
    account = (settings["release"]["namespace"], settings["datalab"]["rbac"]["hubServiceAccount"])
    entries, errors = load([shipped_catalog()])
    assert not errors
    return objects, settings, account, entries


def cluster_wide_rules(objects):
    """The rules of every ClusterRole the chart binds cluster-wide."""
    for b in objects:
        if b["kind"] == "ClusterRoleBinding":
            for role in objects:
                if role["kind"] == "ClusterRole" and role["metadata"]["name"] == b["roleRef"]["name"]:
                    yield from role["rules"]


@pytest.mark.asyncio
async def test_every_call_is_granted_no_rule_is_unused_and_nothing_else_is_cluster_wide(
        helm, cluster, tmp_path, monkeypatch):  # noqa: F811
    objects, settings, account, entries = chart_rbac(helm)

    await exercise_spawner(cluster, settings, tmp_path, monkeypatch)
    await exercise_backend(cluster, entries)
    calls = logged_calls(cluster)
    rbac = Authorizer(objects)
    refusals, used = replay(rbac, account, calls)
    print(f"{len(calls)} calls replayed, {len(used)} rule parts used")
    assert not refusals, "\n".join(dict.fromkeys(refusals))

    # no rule part the code never needed, in the roles bound by the chart or by the code
    given = rbac.rules_of(account)
    assert {role for role, *_ in given} == {("ClusterRole", "", settings["hubNamespaceRole"]),
                                            ("ClusterRole", "", settings["hubNamespaceRole"] + "-cluster")}
    unused = sorted(given - used)
    assert not unused, "\n".join(map(str, unused))

    # cluster-wide: only what has no namespace, or what KubeSpawner watches everywhere
    wide = {(verb, group, resource) for rule in cluster_wide_rules(objects) for verb in rule["verbs"]
            for group in rule["apiGroups"] for resource in rule["resources"]}
    assert wide <= CLUSTER_WIDE, sorted(wide - CLUSTER_WIDE)
    [bind] = [rule for rule in cluster_wide_rules(objects) if "bind" in rule["verbs"]]
    assert bind["resourceNames"] == [settings["hubNamespaceRole"]]
    # and the namespaces the datalab manages are the only ones where the hub may do more
    made = {(b["metadata"]["namespace"]) for b in cluster.objects("rbac.authorization.k8s.io/v1/rolebindings")
            if b["metadata"]["name"] == k8s.HUB_BINDING_NAME}
    assert made == {"user-alice", "project-stats", "project-geo"}


@pytest.mark.asyncio
async def test_a_namespace_from_before_the_namespaced_rights_is_skipped_until_its_owners_start(
        helm, cluster, tmp_path, monkeypatch):  # noqa: F811
    """Under RBAC enforced by the emulated API: after an upgrade, a user's namespace has no
    datalab-hub binding until their next start; discovering companions must not fail on it
    (a 403 there stopped the datalab service from listing anyone's)."""
    from jupyterhub_datalab import companion_manifests as cm
    from jupyterhub_datalab.companions.plan import make_plan

    objects, settings, account, entries = chart_rbac(helm)
    # dave's namespace and companion, made under the old cluster-wide rights
    old = k8s.namespace_objects("user-dave", owner_kind="user", owner="dave", hub_namespace=account[0],
                                cluster_role="edit", quota={}, limits={}, accounts={})
    entry = entries["redis"] if "redis" in entries else entries["postgresql"]
    context = {"user": {"name": "dave", "email": "", "project": "", "projects": []}, "region": {}}
    launch = to_launch(entry, check_options(entry, {}, context))
    cache = Companion(owner="dave", name="cache", entry=entry.id, version="", options={},
                      namespace="user-dave", secrets={n: "s" for n in entry.service.get("secrets", [])})
    manifests, _ = cm.companion_manifests(make_plan(cache, launch), namespace="user-dave",
                                          record={"owner": "dave", "name": "cache", "entry": entry.id,
                                                  "version": "", "options": {}, "namespace": "user-dave"})

    old_project = k8s.namespace_manifest("project-old", "project", "old")

    def plant():
        for manifest in [old[0], old_project, *manifests]:
            plural = {"Namespace": "v1/namespaces", "Secret": "v1/secrets", "Service": "v1/services",
                      "Deployment": "apps/v1/deployments", "PersistentVolumeClaim": "v1/persistentvolumeclaims"}
            ns = manifest["metadata"].get("namespace")
            cluster.cluster.objects[(plural[manifest["kind"]], ns, manifest["metadata"]["name"])] = manifest
        made = [{**b, "kind": "RoleBinding"} for b in cluster.cluster.live(ROLE_BINDINGS)]
        cluster.cluster.authorizer = (Authorizer([*objects, *made]), account)
    cluster.call(plant)
    try:
        backend = KubernetesBackend(api_host=cluster.url, catalog=entries)
        try:
            found = await backend.discover()
            assert "dave/cache" not in {c.key for c in found}
            # a call outside the namespaced rights is refused as a real API server words it
            from kubernetes_asyncio.client.rest import ApiException

            core, _ = await backend._api()
            with pytest.raises(ApiException) as refused:
                await core.read_namespaced_secret("cache-secrets", "user-dave")
            assert refused.value.status == 403 and "cannot get resource" in refused.value.body
            # launching there says what to do, in words
            from jupyterhub_datalab.companions import BackendError

            with pytest.raises(BackendError) as said:
                await backend.launch(Companion(owner="dave", name="db", entry=entry.id, version="", options={},
                                               namespace="user-dave"), launch, {})
            assert said.value.status == 409 and "start your environment once" in said.value.en
            assert "démarrez une fois votre environnement" in said.value.fr
            # dave starts a server: the hub binds its role in his namespace, his companion is back
            # (project-old, from before too, has no binding: leaving it cannot be checked yet)
            done = await start_namespaces(cluster, settings, "dave", tmp_path, monkeypatch)
            assert "RoleBinding/datalab-hub" in done["created"]
            assert "dave/cache" in {c.key for c in await backend.discover()}
        finally:
            await backend.close()
    finally:
        cluster.call(setattr, cluster.cluster, "authorizer", None)
