"""The Kubernetes objects of every shipped companion are valid for Kubernetes 1.33 and
never show a secret in clear.

No API server is involved: ``jupyterhub_datalab.kubernetes.companion_manifests`` and the
builders under it are pure functions. Validation uses
``kubernetes_validate.validate(doc, "1.33", strict=True)``, the offline JSON schemas of
the real API (the command line validates nothing when given no file).
"""

import base64
import json

import kubernetes_validate
import pytest

from jupyterhub_datalab import companion_manifests as cm
from jupyterhub_datalab import kubernetes as k8s
from jupyterhub_datalab.catalog import check_options, load, shipped_catalog, to_launch
from jupyterhub_datalab.companions import Companion
from jupyterhub_datalab.companions.kubernetes import KubernetesBackend
from jupyterhub_datalab.companions.plan import LaunchPlan, make_plan

pytestmark = pytest.mark.unit

VERSION = "1.33"
CONTEXT = {"user": {"name": "alice", "email": "alice@example.org", "project": "", "projects": []},
           "region": {}}
GENERATED = "generated-password-value-0123456789"
CREDENTIALS = {"AWS_ENDPOINT_URL": "http://s3.example.org", "AWS_ACCESS_KEY_ID": "AKIA-access-key-id",
               "AWS_SECRET_ACCESS_KEY": "s3-secret-access-key-value", "AWS_SESSION_TOKEN": "sts-session-token"}


def plan_of(entry, **fields):
    """A launch plan made by hand: alice's, no options, no secrets unless given."""
    return LaunchPlan(**{"owner": "alice", "name": f"{entry.id}-1", "entry": entry,
                         "version": entry.versions[0], "options": {}, "secrets": {}, **fields})


def valid(doc):
    kubernetes_validate.validate(doc, VERSION, strict=True)
    return doc


@pytest.fixture(scope="module")
def catalog():
    entries, errors = load([shipped_catalog()])
    assert not errors, errors
    return entries


def services(catalog):
    return sorted(e for e, entry in catalog.items() if entry.kind == "service")


def build(catalog, entry_id, owner="alice", name=None, namespace=None, options=None, project=None,
          shared=False, settings=None):
    entry = catalog[entry_id]
    launch = to_launch(entry, check_options(entry, options or {}, CONTEXT))
    name = name or f"{entry_id}-1"
    companion = Companion(owner=owner, name=name, entry=entry_id, version=launch.version,
                          options=launch.options, namespace=namespace or f"user-{owner}",
                          project=project, shared=shared,
                          endpoint={"prefix": f"/services/datalab/open/{owner}/{name}"})
    secrets = {n: f"{GENERATED}-{n}" for n in entry.service.get("secrets", [])}
    plan = make_plan(companion, launch, CREDENTIALS, token=lambda: "unused")
    plan = plan.keeping(secrets)
    manifests, connection = cm.companion_manifests(
        plan, namespace=companion.namespace, record=KubernetesBackend.record(companion), launched=1.5,
        settings=settings or KubernetesBackend().settings())
    return {m["kind"]: m for m in manifests}, connection, secrets, launch


def test_every_shipped_service_is_tested(catalog):
    assert {"postgresql", "mlflow", "redis", "app"} <= set(services(catalog))


@pytest.mark.parametrize("entry_id", ["postgresql", "mlflow", "redis", "app"])
def test_manifests_are_valid_and_labelled(catalog, entry_id):
    objects, _connection, _secrets, launch = build(catalog, entry_id)
    entry = catalog[entry_id]
    for doc in objects.values():
        valid(doc)
        labels = doc["metadata"]["labels"]
        assert labels[k8s.MANAGED_BY_LABEL] == "jupyterhub-datalab"
        assert labels[k8s.OWNER_LABEL] == "alice"
        assert labels[cm.NAME_LABEL] == f"{entry_id}-1"
        assert labels[cm.ENTRY_LABEL] == entry_id
        assert labels[cm.SHARED_LABEL] == "false"
        assert doc["metadata"]["namespace"] == "user-alice"
    expected = {"Secret", "Service", "Deployment"} | ({"PersistentVolumeClaim"}
                                                      if entry.service.get("data_path") else set())
    assert set(objects) == expected
    deployment, service = objects["Deployment"], objects["Service"]
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    pod = deployment["spec"]["template"]
    # the selector picks the pod, and the Service the same pods
    assert set(deployment["spec"]["selector"]["matchLabels"].items()) <= set(pod["metadata"]["labels"].items())
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"][0]["port"] == entry.service["port"]
    container = pod["spec"]["containers"][0]
    assert container["image"] == f"{entry.image}:{entry.versions[0]}"
    assert container["ports"][0]["containerPort"] == entry.kubernetes.get("port", entry.service["port"])
    # resources from the launch: limits as chosen, requests a share of them
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "4Gi"}
    assert container["resources"]["requests"] == {"cpu": "250m", "memory": "2Gi"}
    ready = entry.service["ready"]
    if ready.get("http"):
        assert container["readinessProbe"]["httpGet"]["path"] == \
            f"/services/datalab/open/alice/{entry_id}-1" + ready["http"]
    else:
        assert container["readinessProbe"]["tcpSocket"] == {"port": "service"}
    if entry.kubernetes.get("uid"):
        assert pod["spec"]["securityContext"]["runAsUser"] == entry.kubernetes["uid"]
    assert pod["spec"]["automountServiceAccountToken"] is False
    # the record, for discovery after a restart: everything but secrets
    record = json.loads(deployment["metadata"]["annotations"][cm.RECORD_ANNOTATION])
    assert record["owner"] == "alice" and record["entry"] == entry_id
    assert "secrets" not in record
    if "PersistentVolumeClaim" in objects:
        pvc = objects["PersistentVolumeClaim"]
        assert pvc["spec"]["resources"]["requests"]["storage"] == f"{launch.disk}Gi"
        volume = next(v for v in pod["spec"]["volumes"] if v["name"] == "data")
        assert volume["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
        assert {"name": "data", "mountPath": entry.service["data_path"]} in container["volumeMounts"]


@pytest.mark.parametrize("entry_id", ["postgresql", "mlflow", "redis", "app"])
def test_no_secret_in_clear_outside_the_secret(catalog, entry_id):
    objects, connection, secrets, _ = build(catalog, entry_id)
    hidden = [*secrets.values(), CREDENTIALS["AWS_SECRET_ACCESS_KEY"], CREDENTIALS["AWS_SESSION_TOKEN"],
              CREDENTIALS["AWS_ACCESS_KEY_ID"]]
    for kind in ("Deployment", "Service", "PersistentVolumeClaim"):
        text = json.dumps(objects.get(kind, {}))
        for value in hidden:
            assert value not in text, (kind, value)
    secret = objects["Secret"]
    stored = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    for name, value in secrets.items():
        assert stored[name] == value
    # the connection variables are kept with the secrets, for discovery
    assert json.loads(stored[cm.CONNECTION_KEY]) == connection


def test_postgresql_reads_its_password_from_the_secret(catalog):
    objects, connection, secrets, _ = build(catalog, "postgresql")
    env = {e["name"]: e for e in objects["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "postgresql-1-secrets", "key": "env.POSTGRES_PASSWORD"}
    assert env["POSTGRES_USER"] == {"name": "POSTGRES_USER", "value": "datalab"}
    assert env["PGDATA"]["value"] == "/var/lib/postgresql/data/pgdata"
    host = "postgresql-1.user-alice.svc.cluster.local"
    assert connection["DATABASE_URL"] == \
        f"postgresql://datalab:{secrets['password']}@{host}:5432/datalab"
    assert connection["PGHOST"] == host


def test_redis_password_in_command_stays_a_shell_variable(catalog):
    objects, connection, secrets, _ = build(catalog, "redis")
    container = objects["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert '"$REDIS_PASSWORD"' in container["args"][-1]
    assert connection["REDIS_URL"].startswith(f"redis://:{secrets['password']}@redis-1.user-alice.svc")


def test_a_secret_in_an_argument_becomes_a_variable_reference(catalog):
    """A ``{secret.X}`` in ``kubernetes.cmd`` never lands in the pod spec: the kubelet
    expands ``$(DATALAB_ARG_<i>)`` from the Secret."""
    entry = catalog["redis"]
    kube = {**entry.kubernetes, "cmd": ["redis-server", "--requirepass", "{secret.password}",
                                        "--dir", "$(not-a-var)"]}
    changed = type(entry)(**{**entry.__dict__, "kubernetes": kube})
    manifests, _ = cm.companion_manifests(
        plan_of(changed, name="redis-1", version="8.2.1", secrets={"password": GENERATED}, disk=1),
        namespace="user-alice")
    objects = {m["kind"]: valid(m) for m in manifests}
    container = objects["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["redis-server", "--requirepass", "$(DATALAB_ARG_2)", "--dir", "$$(not-a-var)"]
    assert {"name": "DATALAB_ARG_2", "valueFrom": {"secretKeyRef": {
        "name": "redis-1-secrets", "key": "arg.2"}}} in container["env"]
    assert GENERATED not in json.dumps(objects["Deployment"])


def test_mlflow_connection_uses_the_credentials_endpoint_only(catalog):
    objects, connection, _, _ = build(catalog, "mlflow")
    assert connection["MLFLOW_TRACKING_URI"] == \
        "http://mlflow-1.user-alice.svc.cluster.local:5000/services/datalab/open/alice/mlflow-1"
    assert connection["MLFLOW_S3_ENDPOINT_URL"] == CREDENTIALS["AWS_ENDPOINT_URL"]
    args = objects["Deployment"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "s3://user-alice/mlflow/" in args


def test_app_mounts_the_workspace_read_only(catalog):
    objects, _, _, _ = build(catalog, "app", options={"file": "apps/dash.py"})
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    assert {"name": "workspace", "persistentVolumeClaim": {"claimName": "claim-alice"}} in pod["volumes"]
    container = pod["containers"][0]
    assert {"name": "workspace", "mountPath": "/home/jovyan/work", "readOnly": True} in container["volumeMounts"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["APP_FILE"] == "/home/jovyan/work/apps/dash.py"
    assert env["APP_PREFIX"] == "/services/datalab/open/alice/app-1"


def test_an_app_of_a_user_whose_name_was_hashed_mounts_the_pvc_kubespawner_made(catalog):
    """Seen before: for jean.dupont the user's PVC was claim-jean-dupont-c6314bcbcd---aeaf18ec
    (KubeSpawner slugs the datalab's `--` again) while apps mounted claim-jean-dupont--...:
    the workspace of every user whose name needed hashing could not be mounted."""
    from types import SimpleNamespace

    from kubespawner import KubeSpawner

    from jupyterhub_datalab.names import normalize_name

    owner = normalize_name("jean.dupont")
    assert "--" in owner
    # the name KubeSpawner itself gives the user's disk (its own template expansion)
    spawner = SimpleNamespace(user=SimpleNamespace(name=owner, id=1), name="", slug_scheme="safe",
                              _namespace_default=lambda: "datalab")
    made = KubeSpawner._expand_user_properties(spawner, "claim-{username}")
    assert made != f"claim-{owner}"
    objects, _, _, _ = build(catalog, "app", options={"file": "apps/dash.py"}, owner=owner)
    volumes = objects["Deployment"]["spec"]["template"]["spec"]["volumes"]
    assert {"name": "workspace", "persistentVolumeClaim": {"claimName": made}} in volumes, (made, volumes)


def test_project_companion_names_and_labels(catalog):
    objects, connection, _, _ = build(catalog, "postgresql", owner="bob", name="shared-db",
                                      namespace="project-stats", project="stats", shared=True)
    for doc in objects.values():
        valid(doc)
        assert doc["metadata"]["namespace"] == "project-stats"
        assert doc["metadata"]["labels"][cm.PROJECT_LABEL] == "stats"
        assert doc["metadata"]["labels"][cm.SHARED_LABEL] == "true"
    # several owners share a project's namespace: the owner is in the objects' names
    assert objects["Service"]["metadata"]["name"] == "shared-db-bob"
    assert objects["PersistentVolumeClaim"]["metadata"]["name"] == "shared-db-bob-data"
    assert connection["PGHOST"] == "shared-db-bob.project-stats.svc.cluster.local"


def test_admin_settings_reach_the_objects(catalog):
    backend = KubernetesBackend(storage_class="fast-ssd", node_selector={"pool": "services"},
                                tolerations=[{"key": "services", "operator": "Exists",
                                              "effect": "NoSchedule"}],
                                extra_labels={"cost-centre": "dsi"}, cpu_guarantee_ratio=1.0,
                                mem_guarantee_ratio=1.0)
    objects, _, _, _ = build(catalog, "postgresql", settings=backend.settings(),
                             options={"resources": {"cpu": 1.5, "memory": 2}, "disk": 20})
    for doc in objects.values():
        valid(doc)
        assert doc["metadata"]["labels"]["cost-centre"] == "dsi"
    assert objects["PersistentVolumeClaim"]["spec"]["storageClassName"] == "fast-ssd"
    assert objects["PersistentVolumeClaim"]["spec"]["resources"]["requests"]["storage"] == "20Gi"
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"pool": "services"}
    assert pod["tolerations"][0]["key"] == "services"
    assert pod["containers"][0]["resources"] == {"limits": {"cpu": "1500m", "memory": "2Gi"},
                                                 "requests": {"cpu": "1500m", "memory": "2Gi"}}


def test_long_names_stay_valid(catalog):
    owner, name = "a" * 40, "b" * 40
    objects, _, _, _ = build(catalog, "postgresql", owner=owner, name=name, namespace="project-p",
                             project="p")
    for doc in objects.values():
        valid(doc)
        assert len(doc["metadata"]["name"]) <= 63
    # shortened with a hash: two long names stay apart
    assert cm.companion_object_name(owner, name, "project-p") != cm.companion_object_name(
        owner, "b" * 39 + "c", "project-p")


def test_no_disk_means_an_empty_dir(catalog):
    entry = catalog["postgresql"]
    manifests, _ = cm.companion_manifests(
        plan_of(entry, name="pg", version="17.6", options={"database": "d", "user": "u"},
                secrets={"password": GENERATED}, disk=0), namespace="user-alice")
    objects = {m["kind"]: valid(m) for m in manifests}
    assert "PersistentVolumeClaim" not in objects
    volumes = objects["Deployment"]["spec"]["template"]["spec"]["volumes"]
    assert volumes == [{"name": "data", "emptyDir": {}}]


def test_injected_secrets_reach_the_app_only_by_reference(catalog):
    """The owner's injected secrets: keys of the companion's Secret, read with secretKeyRef."""
    entry = catalog["app"]
    launch = to_launch(entry, check_options(entry, {}, CONTEXT))
    manifests, _ = cm.companion_manifests(
        plan_of(entry, name="app-1", version=launch.version, options=launch.options,
                credentials=CREDENTIALS, prefix="/p",
                secret_env={"APP_TOKEN": "injected-value", "APP_FILE": "must-not-win", "bad name": "x"}),
        namespace="user-alice", settings=KubernetesBackend().settings())
    objects = {m["kind"]: m for m in manifests}
    assert "injected-value" not in json.dumps(objects["Deployment"])
    env = {e["name"]: e for e in objects["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["APP_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == "env.APP_TOKEN"
    assert "must-not-win" not in json.dumps(objects), "the entry's own variables win"
    assert "bad name" not in env
    stored = {k: base64.b64decode(v).decode() for k, v in objects["Secret"]["data"].items()}
    assert stored["env.APP_TOKEN"] == "injected-value"
    kubernetes_validate.validate(objects["Deployment"], "1.33", strict=True)
