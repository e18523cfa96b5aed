"""KubernetesBackend against the emulated Kubernetes API: launch, status, quota, stop,
restart, delete.

Only the Kubernetes API is emulated, because no real API server can run here: kmock
with the shims of ``apiserver.py`` and the deployment controller of ``workloads.py``.
Nothing runs in the companions' pods: the emulated kubelet reports them Running and
ready at once (or, when a test says so, in ``ImagePullBackOff``), so what is tested is
what the backend writes to and reads from the API, not PostgreSQL itself (the local
backend's tests run the real binaries). The backend is the real one, talking HTTP to
the emulated API with kubernetes_asyncio.
"""

import base64
import json

import pytest
import pytest_asyncio
import requests

from jupyterhub_datalab import companion_manifests as cm
from jupyterhub_datalab import kubernetes as k8s
from jupyterhub_datalab.catalog import check_options, load, shipped_catalog, to_launch
from jupyterhub_datalab.companions import BackendError, Companion
from jupyterhub_datalab.companions.kubernetes import KubernetesBackend

from .apiserver import ClusterThread
from .workloads import NOTHING_RUNS, WorkloadCluster, running_ready

CONTEXT = {"user": {"name": "alice", "email": "alice@example.org", "project": "", "projects": []},
           "region": {}}
PATHS = {"Namespace": "/api/v1/namespaces", "ResourceQuota": "/api/v1/namespaces/{ns}/resourcequotas",
         "LimitRange": "/api/v1/namespaces/{ns}/limitranges",
         "ServiceAccount": "/api/v1/namespaces/{ns}/serviceaccounts",
         "RoleBinding": "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
         "NetworkPolicy": "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies"}
KINDS = {"Secret": "v1/secrets", "PersistentVolumeClaim": "v1/persistentvolumeclaims",
         "Service": "v1/services", "Deployment": "apps/v1/deployments", "Pod": "v1/pods"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = ClusterThread(tmp_path_factory.mktemp("pods"), cluster_class=WorkloadCluster).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def catalog():
    entries, errors = load([shipped_catalog()])
    assert not errors, errors
    return entries


def prepare(cluster, namespace, quota, owner_kind="user"):
    """What the environment spawner makes first: the namespace, its quota and limits."""
    objects = k8s.namespace_objects(
        namespace, owner_kind=owner_kind, owner=namespace.split("-", 1)[1], hub_namespace="datalab",
        cluster_role="edit", quota=quota, limits={"default": {"cpu": "1", "memory": "2Gi"}},
        accounts={k8s.ROLE_BINDING_NAME: [(namespace, k8s.SERVICE_ACCOUNT)]})
    for manifest in objects:
        response = requests.post(cluster.url + PATHS[manifest["kind"]].format(ns=namespace),
                                 json=manifest, timeout=10)
        assert response.status_code in (200, 201), response.text


def objects(cluster, kind, namespace):
    return {o["metadata"]["name"]: o for o in cluster.objects(KINDS[kind], namespace)}


@pytest_asyncio.fixture
async def backend(cluster, catalog):
    made = KubernetesBackend(api_host=cluster.url, catalog=catalog, admission_timeout=5)
    yield made
    await made.close()


def launch_of(catalog, entry_id, options=None):
    entry = catalog[entry_id]
    return to_launch(entry, check_options(entry, options or {}, CONTEXT))


def companion(entry, name, owner="alice", **fields):
    fields.setdefault("namespace", f"user-{owner}")
    return Companion(owner=owner, name=name, entry=entry, version="", options={}, **fields)


@pytest.mark.asyncio
async def test_postgresql_lifecycle(cluster, catalog, backend):
    prepare(cluster, "user-alice", {"limits.cpu": "4", "limits.memory": "16Gi", "requests.storage": "50Gi",
                                    "persistentvolumeclaims": "5", "pods": "10"})
    launch = launch_of(catalog, "postgresql", {"resources": {"cpu": 1, "memory": 2}, "disk": 5})
    c = companion("postgresql", "postgresql-1",
                  endpoint={"prefix": "/services/datalab/open/alice/postgresql-1/"})
    await backend.launch(c, launch, {})
    password = c.secrets["password"]
    assert c.namespace == "user-alice"

    # the objects, labelled, in the owner's namespace
    for kind, name in (("Secret", "postgresql-1-secrets"), ("PersistentVolumeClaim", "postgresql-1-data"),
                       ("Service", "postgresql-1"), ("Deployment", "postgresql-1")):
        found = objects(cluster, kind, "user-alice")
        assert name in found, (kind, sorted(found))
        labels = found[name]["metadata"]["labels"]
        assert labels[k8s.MANAGED_BY_LABEL] == "jupyterhub-datalab"
        assert (labels[k8s.OWNER_LABEL], labels[cm.NAME_LABEL], labels[cm.ENTRY_LABEL],
                labels[cm.SHARED_LABEL]) == ("alice", "postgresql-1", "postgresql", "false")
    deployment = objects(cluster, "Deployment", "user-alice")["postgresql-1"]
    assert password not in json.dumps(deployment)
    secret = objects(cluster, "Secret", "user-alice")["postgresql-1-secrets"]
    assert base64.b64decode(secret["data"]["password"]).decode() == password
    pvc = objects(cluster, "PersistentVolumeClaim", "user-alice")["postgresql-1-data"]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "5Gi"

    # the emulated kubelet reports the pod Running and ready (nothing runs in it)
    assert await backend.status(c) == ("ready", "ready / prêt")
    pods = objects(cluster, "Pod", "user-alice")
    assert len(pods) == 1
    assert next(iter(pods.values()))["spec"]["containers"][0]["resources"]["limits"] == {
        "cpu": "1", "memory": "2Gi"}
    host = "postgresql-1.user-alice.svc.cluster.local"
    assert backend.connection(c)["DATABASE_URL"] == f"postgresql://datalab:{password}@{host}:5432/datalab"
    assert backend.ui_target(c) is None
    assert await backend.logs(c) == [NOTHING_RUNS]
    events = await backend.events(c)
    assert any("SuccessfulCreate" in e["message"] for e in events), events

    # stop: scaled to 0, disk and secret kept
    await backend.stop(c)
    assert objects(cluster, "Deployment", "user-alice")["postgresql-1"]["spec"]["replicas"] == 0
    assert not objects(cluster, "Pod", "user-alice")
    assert "postgresql-1-data" in objects(cluster, "PersistentVolumeClaim", "user-alice")
    assert "postgresql-1-secrets" in objects(cluster, "Secret", "user-alice")
    assert (await backend.status(c))[0] == "stopped"

    # a restart of the hub service: a new backend finds it from the cluster alone
    await backend.close()
    restarted = KubernetesBackend(api_host=cluster.url, admission_timeout=5)
    try:
        found = {x.key: x for x in await restarted.discover()}
        again = found["alice/postgresql-1"]
        assert (again.entry, again.version, again.namespace, again.status) == (
            "postgresql", launch.version, "user-alice", "stopped")
        assert again.options == launch.options
        assert again.secrets == {"password": password}
        assert again.endpoint["prefix"] == "/services/datalab/open/alice/postgresql-1"
        assert restarted.connection(again) == backend.connection(c)

        # started again on its data: same password, ready
        await restarted.launch(again, launch, {})
        assert again.secrets["password"] == password
        assert (await restarted.status(again))[0] == "ready"
        assert len(objects(cluster, "Pod", "user-alice")) == 1

        # delete: everything goes, the disk too
        await restarted.delete(again)
        for kind in ("Secret", "PersistentVolumeClaim", "Service", "Deployment", "Pod"):
            assert not [n for n in objects(cluster, kind, "user-alice") if n.startswith("postgresql-1")], kind
        assert [x for x in await restarted.discover() if x.key == "alice/postgresql-1"] == []
        assert (await restarted.status(again))[0] == "stopped"
    finally:
        await restarted.close()


@pytest.mark.asyncio
async def test_quota_refusal_reaches_the_caller_in_words(cluster, catalog, backend):
    prepare(cluster, "user-bob", {"limits.cpu": "1", "limits.memory": "4Gi", "requests.storage": "2Gi",
                                  "persistentvolumeclaims": "5", "pods": "10"})
    # the pod: 2 cores asked, 1 allowed (the deployment controller's refusal)
    c = companion("redis", "redis-1", owner="bob")
    with pytest.raises(BackendError) as refused:
        await backend.launch(c, launch_of(catalog, "redis", {"resources": {"cpu": 2, "memory": 1},
                                                             "disk": 1}), {})
    assert refused.value.status == 403
    assert "quota is used up" in refused.value.en and "limits.cpu: requested 2" in refused.value.en
    assert "limite 1" in refused.value.fr
    assert (await backend.status(c))[0] == "failed"
    await backend.delete(c)  # what the hub service does after a failed launch
    assert not objects(cluster, "Deployment", "user-bob")
    # the disk: 5 GiB asked, 2 allowed (refused when the claim is created)
    c = companion("postgresql", "postgresql-1", owner="bob")
    with pytest.raises(BackendError) as refused:
        await backend.launch(c, launch_of(catalog, "postgresql", {"disk": 5, "resources": {"cpu": 0.5,
                                                                                          "memory": 1}}), {})
    assert refused.value.status == 403
    assert "requests.storage: requested 5Gi" in refused.value.en
    await backend.delete(c)


@pytest.mark.asyncio
async def test_broken_image_and_project_namespace(cluster, catalog, backend):
    prepare(cluster, "project-stats", {"limits.cpu": "8", "limits.memory": "32Gi", "requests.storage": "50Gi"},
            owner_kind="project")

    def pull_failure(pod):
        image = pod["spec"]["containers"][0]["image"]
        return {"phase": "Pending", "containerStatuses": [{
            "name": "main", "ready": False, "restartCount": 0, "image": image, "imageID": "",
            "state": {"waiting": {"reason": "ImagePullBackOff",
                                  "message": f'Back-off pulling image "{image}"'}}}]}

    cluster.cluster.pod_status = pull_failure
    try:
        c = companion("mlflow", "tracking", owner="carol", project="stats", shared=True,
                      namespace="project-stats")
        await backend.launch(c, launch_of(catalog, "mlflow", {"disk": 1}), {})
    finally:
        cluster.cluster.pod_status = running_ready
    # launched for the project: in its namespace, the owner in the objects' names
    assert c.namespace == "project-stats"
    deployment = objects(cluster, "Deployment", "project-stats")["tracking-carol"]
    assert deployment["metadata"]["labels"][cm.PROJECT_LABEL] == "stats"
    state, message = await backend.status(c)
    assert state == "failed"
    assert "the image ghcr.io/mlflow/mlflow:v3.1.1 cannot be pulled" in message
    assert backend.ui_target(c) == \
        "http://tracking-carol.project-stats.svc:5000/services/datalab/open/carol/tracking/"
    await backend.delete(c)
    assert not objects(cluster, "Deployment", "project-stats")


@pytest.mark.asyncio
async def test_missing_namespace_is_said(catalog, backend):
    c = companion("redis", "redis-1", owner="nobody")
    with pytest.raises(BackendError) as refused:
        await backend.launch(c, launch_of(catalog, "redis"), {})
    assert refused.value.status == 409
    assert "user-nobody does not exist yet" in refused.value.en


@pytest.mark.asyncio
async def test_crash_loop_says_why_with_its_log(cluster, catalog, backend):
    prepare(cluster, "user-dave", {"limits.cpu": "4", "limits.memory": "16Gi"})
    c = companion("redis", "cache", owner="dave")
    await backend.launch(c, launch_of(catalog, "redis", {"disk": 1}), {})
    assert (await backend.status(c))[0] == "ready"
    pod = next(iter(objects(cluster, "Pod", "user-dave")))
    # what a kubelet would report of a redis that exits at once
    cluster.cluster.pod_logs[("user-dave", pod)] = ["1:M * Server initialized",
                                                    "1:M # Can't open the append-only file: Permission denied"]
    crashed = {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
               "containerStatuses": [{"name": "main", "ready": False, "restartCount": 4, "image": "redis:8.2.1",
                                      "imageID": "", "state": {"waiting": {"reason": "CrashLoopBackOff",
                                                                           "message": "back-off 40s"}}}]}
    cluster.call(cluster.cluster.set_pod_status, "user-dave", pod, crashed)
    state, message = await backend.status(c)
    assert state == "failed"
    assert message.startswith("it keeps crashing (restarted 4 times); last lines of its log:")
    assert message.endswith("Can't open the append-only file: Permission denied")
    assert (await backend.logs(c, tail=1)) == ["1:M # Can't open the append-only file: Permission denied"]
    await backend.delete(c)


@pytest.mark.asyncio
async def test_an_unreachable_api_is_said(catalog):
    down = KubernetesBackend(api_host="http://127.0.0.1:9", admission_timeout=1)
    try:
        for call in (down.launch(companion("redis", "r"), launch_of(catalog, "redis"), {}),
                     down.status(companion("redis", "r")), down.discover()):
            with pytest.raises(BackendError) as refused:
                await call
            assert refused.value.status == 503
            assert "The Kubernetes API cannot be reached" in refused.value.en
    finally:
        await down.close()


@pytest.mark.asyncio
async def test_no_cluster_address_says_the_in_cluster_reason(catalog, tmp_path, monkeypatch):
    """Seen: the datalab service started without the pod's KUBERNETES_SERVICE_HOST/PORT
    answered "Expected key current-context" (the kubeconfig fallback's complaint), hiding
    that the in-cluster address was missing."""
    from kubernetes_asyncio.config import kube_config

    for var in ("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "KUBECONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(tmp_path / "no-kubeconfig"))
    lost = KubernetesBackend(admission_timeout=1)
    try:
        with pytest.raises(BackendError) as refused:
            await lost.discover()
        assert refused.value.status == 503
        assert "Service host/port is not set" in refused.value.en, refused.value.en
    finally:
        await lost.close()


@pytest.mark.asyncio
async def test_an_app_of_jean_dupont_mounts_the_workspace_kubespawner_made(cluster, catalog, backend):
    """Seen before: for jean.dupont (a name the datalab hashes) KubeSpawner names the home
    disk ``claim-jean-dupont-c6314bcbcd---aeaf18ec`` while apps mounted ``claim-<name>``:
    the app's pod waited for a disk that never existed. Here the disk is the one
    KubeSpawner's own template expansion names, and the app's pod mounts it."""
    from types import SimpleNamespace

    from kubespawner import KubeSpawner

    from jupyterhub_datalab.names import normalize_name, user_namespace

    owner = normalize_name("jean.dupont")
    namespace = user_namespace(owner)
    prepare(cluster, namespace, {"limits.cpu": "4", "limits.memory": "16Gi"})
    spawner = SimpleNamespace(user=SimpleNamespace(name=owner, id=7), name="", slug_scheme="safe",
                              _namespace_default=lambda: "datalab")
    claim = KubeSpawner._expand_user_properties(spawner, "claim-{username}")
    home = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": claim, "namespace": namespace},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    made = requests.post(f"{cluster.url}/api/v1/namespaces/{namespace}/persistentvolumeclaims",
                         json=home, timeout=10)
    assert made.status_code in (200, 201), made.text
    c = companion("app", "dash", owner=owner)
    await backend.launch(c, launch_of(catalog, "app", {"file": "apps/dash.py"}), {})
    assert (await backend.status(c))[0] == "ready"
    [pod] = objects(cluster, "Pod", namespace).values()
    mounted = {v["persistentVolumeClaim"]["claimName"] for v in pod["spec"]["volumes"]
               if "persistentVolumeClaim" in v}
    assert mounted == {claim}, (mounted, sorted(objects(cluster, "PersistentVolumeClaim", namespace)))
    assert claim in objects(cluster, "PersistentVolumeClaim", namespace)
    await backend.delete(c)
    assert claim in objects(cluster, "PersistentVolumeClaim", namespace)  # the workspace stays
