"""Every Kubernetes object the datalab writes is valid for Kubernetes 1.33 (strict schemas).

No API server is involved: the builders are pure functions, and the pod manifest
comes from ``DatalabKubeSpawner.get_pod_manifest()`` with a kubeconfig pointing
nowhere (KubeSpawner needs one to construct its client; nothing is ever sent).
Validation uses ``kubernetes_validate.validate(doc, "1.33", strict=True)``, the
offline JSON schemas of the real API.
"""

import base64
import json
import types

import kubernetes_validate
import pytest

from jupyterhub_datalab import kubernetes as k8s
from jupyterhub_datalab.catalog import DatalabCatalog

pytestmark = pytest.mark.unit

VERSION = "1.33"
SECRETS = {"AWS_ACCESS_KEY_ID": "AKIA-test-access-key", "AWS_SECRET_ACCESS_KEY": "s3-secret-value-42",
           "AWS_SESSION_TOKEN": "sts-session-token-value", "VAULT_TOKEN": "hvs.vault-token-value",
           "AWS_ENDPOINT_URL": "http://127.0.0.1:8333", "MY_DB_PASSWORD": "injected-db-password",
           "DATALAB_INJECTED_KEYS": "MY_DB_PASSWORD"}
HUB_TOKEN = "hub-api-token-value-0123"


def valid(doc):
    kubernetes_validate.validate(doc, VERSION, strict=True)
    return doc


@pytest.fixture(autouse=True)
def kubeconfig(tmp_path, monkeypatch):
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "none",
        "clusters": [{"name": "none", "cluster": {"server": "http://127.0.0.1:9"}}],
        "users": [{"name": "none", "user": {"token": "none"}}],
        "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none"}}]}))
    from kubernetes_asyncio.config import kube_config

    # read at import time by kubernetes_asyncio, which may already be imported
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))


def make_spawner(name="alice", groups=("stats",), server=""):
    from jupyterhub_datalab.kubespawner import DatalabKubeSpawner

    async def no_auth_state():
        return None

    user = types.SimpleNamespace(name=name, id=1, url=f"/user/{name}/", get_auth_state=no_auth_state,
                                 groups=[types.SimpleNamespace(name=g) for g in groups])
    orm_spawner = types.SimpleNamespace(name=server, user_options=None, server=None, state=None)
    spawner = DatalabKubeSpawner(_mock=True, user=user, orm_spawner=orm_spawner)
    spawner.api_token = HUB_TOKEN
    spawner._credential_env = dict(SECRETS)
    return spawner


ENVIRONMENTS = [e.id for e in DatalabCatalog().entries("environment")]


def test_the_shipped_catalog_has_a_gpu_environment():
    assert "jupyter-pytorch-gpu" in ENVIRONMENTS and "jupyter-python" in ENVIRONMENTS


def test_namespace_objects_are_valid():
    user = k8s.namespace_objects(
        "user-alice", owner_kind="user", owner="alice", hub_namespace="datalab",
        cluster_role="edit", quota={"limits.cpu": "4", "requests.nvidia.com/gpu": 1, "pods": 10},
        limits={"default": {"cpu": "1", "memory": "2Gi"}, "defaultRequest": {"cpu": "100m"},
                "max": {"cpu": 8}},
        accounts={"datalab-edit": [("user-alice", "datalab")]})
    assert [o["kind"] for o in user] == ["Namespace", "ServiceAccount", "RoleBinding",
                                         "ResourceQuota", "LimitRange", "NetworkPolicy"]
    for doc in user:
        valid(doc)
        assert doc["metadata"]["labels"][k8s.MANAGED_BY_LABEL] == k8s.MANAGED_BY
    policy = user[-1]["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["ingress"] == [{"from": [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "datalab"}}},
        {"podSelector": {}}]}]
    assert user[3]["spec"]["hard"] == {"limits.cpu": "4", "requests.nvidia.com/gpu": "1", "pods": "10"}
    project = k8s.namespace_objects(
        k8s.project_namespace("stats"), owner_kind="project", owner="stats", hub_namespace="datalab",
        cluster_role="edit", quota={}, limits={},
        accounts={k8s.member_binding_name("alice"): [("user-alice", "datalab")]})
    for doc in project:
        valid(doc)
    assert project[2]["metadata"]["name"] == "member-alice"
    assert project[2]["subjects"] == [{"kind": "ServiceAccount", "name": "datalab",
                                       "namespace": "user-alice"}]


def test_env_secret_is_valid_and_holds_the_sensitive_variables():
    env = {**SECRETS, "JUPYTERHUB_API_TOKEN": HUB_TOKEN, "JUPYTERHUB_USER": "alice",
           "SOME_SERVICE_TOKEN": "x-token", "CPU_LIMIT": "2.0"}
    plain, secret = k8s.split_env(env)
    assert set(secret) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                           "VAULT_TOKEN", "MY_DB_PASSWORD", "JUPYTERHUB_API_TOKEN", "SOME_SERVICE_TOKEN"}
    assert plain["JUPYTERHUB_USER"] == "alice" and "AWS_ENDPOINT_URL" in plain
    doc = valid(k8s.env_secret_manifest("user-alice", "jupyter-alice-env", secret))
    assert base64.b64decode(doc["data"]["VAULT_TOKEN"]).decode() == SECRETS["VAULT_TOKEN"]


@pytest.mark.asyncio
@pytest.mark.parametrize("entry_id", ENVIRONMENTS)
async def test_pod_manifest_of_each_environment_is_valid_and_has_no_secret(entry_id):
    spawner = make_spawner(server="lab")
    entry = spawner.catalog.get(entry_id)
    options = {"resources": {"cpu": 2, "memory": 6}, "disk": 10}
    spawner.launch = launch = spawner.catalog.launch(entry_id, options, username="alice")
    await spawner.apply_launch(launch)
    pod = spawner.api.api_client.sanitize_for_serialization(await spawner.get_pod_manifest())
    valid(pod)
    text = json.dumps(pod)
    for value in [*SECRETS.values(), HUB_TOKEN]:
        if value not in ("http://127.0.0.1:8333", "MY_DB_PASSWORD"):  # not secret values
            assert value not in text, f"a secret value is in the pod spec of {entry_id}"
    container = pod["spec"]["containers"][0]
    assert container["image"] == f"{entry.image}:{entry.versions[0]}"
    assert container["args"][0] == "jupyterhub-singleuser"
    assert container["ports"][0]["containerPort"] == entry.kubernetes["port"]
    assert container["workingDir"] == entry.kubernetes["working_dir"]
    assert container["securityContext"]["runAsUser"] == entry.kubernetes["uid"]
    assert pod["spec"]["securityContext"]["fsGroup"] == entry.kubernetes["fs_gid"]
    assert pod["spec"]["serviceAccountName"] == "datalab"
    limits, requests = container["resources"]["limits"], container["resources"]["requests"]
    assert float(limits["cpu"]) == 2 and int(limits["memory"]) == 6 * 1024**3
    assert float(requests["cpu"]) == 0.5 and int(requests["memory"]) == 3 * 1024**3
    env = {e["name"]: e for e in container["env"]}
    for name in ("JUPYTERHUB_API_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "VAULT_TOKEN",
                 "MY_DB_PASSWORD", "AWS_ACCESS_KEY_ID"):
        assert env[name]["valueFrom"]["secretKeyRef"] == {"name": "jupyter-alice--lab-env", "key": name}
        assert "value" not in env[name]
    assert env["DATALAB_ENTRY"]["value"] == entry_id
    assert env["JUPYTERHUB_DEFAULT_URL"]["value"] == entry.kubernetes["default_url"]
    # the work folder is on a PVC of the chosen size
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["datalab-home"]["mountPath"] == entry.kubernetes["working_dir"]
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["datalab-home"]["persistentVolumeClaim"]["claimName"] == spawner.pvc_name
    pvc = valid(spawner.api.api_client.sanitize_for_serialization(spawner.get_pvc_manifest()))
    assert pvc["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert spawner.storage_pvc_ensure
    gpu = entry.kubernetes.get("gpu")
    assert ("nvidia.com/gpu" in limits) == bool(gpu)
    assert any(t.get("key") == "nvidia.com/gpu" for t in pod["spec"].get("tolerations") or []) == bool(gpu)
    if gpu:
        assert limits["nvidia.com/gpu"] == "1"


@pytest.mark.asyncio
async def test_gpu_settings_apply_to_gpu_entries_only_and_no_disk_means_no_volume():
    spawner = make_spawner()
    spawner.gpu_node_selector = {"nvidia.com/gpu.present": "true"}
    spawner.node_selector = {"pool": "users"}
    gpu = spawner.catalog.launch("jupyter-pytorch-gpu", {"disk": 0}, username="alice")
    await spawner.apply_launch(gpu)
    pod = valid(spawner.api.api_client.sanitize_for_serialization(await spawner.get_pod_manifest()))
    assert pod["spec"]["nodeSelector"] == {"pool": "users", "nvidia.com/gpu.present": "true"}
    assert not spawner.storage_pvc_ensure
    assert not any(v["name"] == "datalab-home" for v in pod["spec"].get("volumes") or [])
    plain = spawner.catalog.launch("jupyter-python", {"version": "py3.12.9"}, username="alice")
    await spawner.apply_launch(plain)
    pod = valid(spawner.api.api_client.sanitize_for_serialization(await spawner.get_pod_manifest()))
    container = pod["spec"]["containers"][0]
    assert container["image"] == "inseefrlab/onyxia-jupyter-python:py3.12.9"
    assert "nvidia.com/gpu" not in container["resources"].get("limits", {})
    assert pod["spec"]["nodeSelector"] == {"pool": "users"}
    assert not pod["spec"].get("tolerations")


@pytest.mark.asyncio
async def test_namespace_manifests_of_a_user_with_projects_are_valid():
    spawner = make_spawner(groups=("stats", "ml-team"))
    docs = spawner.namespace_manifests()
    for doc in docs:
        valid(doc)
    namespaces = [d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"]
    assert namespaces == ["user-alice", "project-ml-team", "project-stats"]
    assert len(docs) == 18


def test_refusals_are_explained_in_words():
    en, fr = k8s.explain_refusal(403, 'pods "jupyter-alice" is forbidden: exceeded quota: datalab-quota, '
                                      'requested: limits.cpu=8, used: limits.cpu=0, limited: limits.cpu=4')
    assert en == ("Your namespace's quota is used up: limits.cpu: requested 8, already used 0, "
                  "limit 4. Stop another server or ask for more.")
    assert "quota de votre espace est épuisé" in fr
    en, fr = k8s.explain_refusal(422, 'Pod "x" is invalid: spec.containers[0].image: Required value')
    assert en.startswith("The cluster found your server invalid: Pod") and "invalide" in fr


def test_the_limit_ratio_the_chart_accepts_is_applied():
    """The chart's schema accepted limitRange.maxLimitRequestRatio and the code dropped it."""
    manifest = k8s.limit_range_manifest("user-alice", {"max": {"cpu": 8}, "maxLimitRequestRatio": {"cpu": 4}})
    valid(manifest)
    assert manifest["spec"]["limits"][0]["maxLimitRequestRatio"] == {"cpu": "4"}
