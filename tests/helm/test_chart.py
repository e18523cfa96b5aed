"""The Helm chart ``helm/datalab``: rendered by real Helm, validated, loaded by a real hub.

Helm is PyPI ``helm-sdkpy`` (Helm's Go library) in its own Python 3.12 venv
(``tests/helm/venv.py``), driven by ``tests/helm/render.py`` in a subprocess whose
environment carries ``KUBECONFIG`` and ``HELM_*`` from its start. helm-sdkpy has no dry-run:
each render is a real ``helm install`` (new ``Configuration``, own namespace) against the
emulated Kubernetes API of ``tests/kubernetes/apiserver.py`` (``tests/helm/cluster.py``).

The Zero to JupyterHub dependency cannot be fetched here, so the chart is rendered from a
copy whose Chart.yaml declares no dependency (a missing subchart would be skipped silently
anyway): what is tested is the datalab chart's own templates, values and schema.
"""

import base64
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from . import venv
from .cluster import KUBE_VERSION, start

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "datalab"
FULL_VALUES = CHART / "examples" / "full-values.yaml"
_names = itertools.count(1)


@pytest.fixture(scope="session")
def helm_python():
    """The helm venv's python; fails (does not skip) without Python 3.12."""
    return venv.ensure()


@pytest.fixture(scope="module")
def helm(helm_python, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("helm")
    cluster = start(tmp / "pods")
    chart = tmp / "datalab"
    shutil.copytree(CHART, chart, ignore=shutil.ignore_patterns("charts", "examples"))
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    assert [d["name"] for d in meta.pop("dependencies")] == ["jupyterhub"]
    (chart / "Chart.yaml").write_text(yaml.safe_dump(meta))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp),
           "KUBECONFIG": str(cluster.kubeconfig(tmp / "kubeconfig")), "HELM_DRIVER": "memory",
           **{f"HELM_{k}_HOME": str(tmp / k.lower()) for k in ("CACHE", "CONFIG", "DATA")}}

    def render(values=None, upgrade=False):
        """(ok, manifests or Helm's error, notes, seconds): one `helm install`; with
        ``upgrade``, (installed, upgraded) manifests: a `helm upgrade` follows the install."""
        n = next(_names)
        request = tmp / f"request-{n}.json"
        request.write_text(json.dumps({"chart": str(chart), "release": f"datalab-{n}",
                                       "namespace": f"datalab-{n}", "values": values or {},
                                       "upgrade": upgrade}))
        started = time.monotonic()
        out = subprocess.run([str(helm_python), str(ROOT / "tests" / "helm" / "render.py"), str(request)],
                             env=env, capture_output=True, text=True, timeout=120, check=False)
        took = time.monotonic() - started
        assert out.returncode == 0, out.stderr[-3000:]
        result = json.loads(out.stdout.strip().splitlines()[-1])
        if not result["ok"]:
            return False, result["error"], "", took
        docs = [d for d in yaml.safe_load_all(result["manifest"]) if d]
        if upgrade:
            docs = (docs, [d for d in yaml.safe_load_all(result["upgrade_manifest"]) if d])
        return True, docs, result["notes"], took

    render.cluster = cluster
    render.kubeconfig = env["KUBECONFIG"]
    yield render
    cluster.stop()


def full_values():
    return yaml.safe_load(FULL_VALUES.read_text())


def by_kind(docs):
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def assert_valid(docs):
    for doc in docs:
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)


# -- rendering -----------------------------------------------------------------------------


def test_default_values_render_and_validate(helm):
    ok, docs, notes, took = helm()
    assert ok, docs
    print(f"default values rendered in {took:.2f}s")
    objects = by_kind(docs)
    ns = docs[0]["metadata"].get("namespace")
    # the hub's namespaced role (bound in the datalab's namespaces only, by the hub) and
    # the cluster-wide part (tests/kubernetes/test_rbac.py checks every rule against the code)
    assert set(objects) == {
        ("ConfigMap", "datalab-config"), ("ConfigMap", "datalab-catalog"),
        ("ConfigMap", "datalab-catalog-shared"), ("Secret", "datalab-identity"),
        ("ClusterRole", f"datalab-hub-{ns}"), ("ClusterRole", f"datalab-hub-{ns}-cluster"),
        ("ClusterRoleBinding", f"datalab-hub-{ns}-cluster"),
        ("Service", "datalab"), ("NetworkPolicy", "datalab-hub"), ("NetworkPolicy", "datalab-proxy")}
    assert_valid(docs)
    # no client secret in the values: the admin creates datalab-oidc, NOTES say how
    assert "create secret generic datalab-oidc" in notes
    assert "WARNING: datalab.publicUrl is empty" in notes
    binding = objects[("ClusterRoleBinding", f"datalab-hub-{ns}-cluster")]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "hub", "namespace": ns}]
    assert binding["roleRef"]["name"] == f"datalab-hub-{ns}-cluster"
    settings = json.loads(objects[("ConfigMap", "datalab-config")]["data"]["settings.json"])
    assert settings["hubNamespaceRole"] == f"datalab-hub-{ns}"
    # the chart's objects really went to the (emulated) API server
    assert [c["metadata"]["name"] for c in helm.cluster.objects("v1/configmaps", ns)
            if c["metadata"]["name"] == "datalab-config"] == ["datalab-config"]


def test_full_values_render_and_validate(helm):
    ok, docs, notes, took = helm(full_values())
    assert ok, docs
    print(f"full values rendered in {took:.2f}s")
    assert_valid(docs)
    objects = by_kind(docs)
    ns = docs[0]["metadata"].get("namespace")
    role = objects[("ClusterRole", f"datalab-hub-{ns}")]
    rules = {(tuple(r["apiGroups"]), r2) for r in role["rules"] for r2 in r["resources"]}
    for wanted in [("",), "namespaces"], [("",), "resourcequotas"], [("rbac.authorization.k8s.io",), "rolebindings"], \
            [("networking.k8s.io",), "networkpolicies"], [("apps",), "deployments"], [("batch",), "jobs"]:
        assert tuple(wanted) in rules, wanted
    bind = next(r for r in role["rules"] if r["verbs"] == ["bind"])
    assert bind["resourceNames"] == ["edit"]
    # the admin's extra rules are namespaced too: nothing of them cluster-wide
    wide = objects[("ClusterRole", f"datalab-hub-{ns}-cluster")]
    assert "batch" not in json.dumps(wide["rules"])
    oidc = objects[("Secret", "datalab-oidc")]
    assert base64.b64decode(oidc["data"]["client-secret"]).decode() == "change-me-client-secret"
    catalog = objects[("ConfigMap", "datalab-catalog")]["data"]
    assert json.loads(catalog["jupyter-stats.json"])["id"] == "jupyter-stats"
    settings = json.loads(objects[("ConfigMap", "datalab-config")]["data"]["settings.json"])
    assert settings["identityIssuerUrl"] == "https://datalab.example.gouv.fr/hub/datalab"
    assert settings["serviceUrl"] == f"http://datalab.{ns}.svc.cluster.local:10101"
    assert "WARNING" not in notes and "minio.example.gouv.fr" in notes


def test_the_full_example_shows_every_datalab_key():
    """docs/install-kubernetes.md says examples/full-values.yaml shows every key: 12 were
    missing (oidc.scope, identity.issuerUrl, service.stateDir...)."""
    def paths(values, prefix=()):
        for key, value in values.items():
            yield (*prefix, key)
            if isinstance(value, dict) and value:
                yield from paths(value, (*prefix, key))

    def has(values, path):
        for key in path:
            if not isinstance(values, dict) or key not in values:
                return False
            values = values[key]
        return True

    defaults = yaml.safe_load((CHART / "values.yaml").read_text())["datalab"]
    example = yaml.safe_load(FULL_VALUES.read_text())["datalab"]
    missing = [".".join(p) for p in paths(defaults) if not has(example, p)]
    assert not missing, missing


def test_the_service_port_reaches_its_service_and_policies(helm):
    """datalab.service.port was only the service's bind address: the hub's Service and the
    network policies kept 10101 (z2jh's values cannot read the datalab's)."""
    ok, docs, _, _ = helm({"datalab": {"service": {"port": 12345, "apps": {
        "url": "https://{name}--{owner}.apps.example.org", "port": 12346}}}})
    assert ok, docs
    objects = by_kind(docs)
    ns = docs[0]["metadata"].get("namespace")
    service = objects[("Service", "datalab")]
    assert {(p["name"], p["port"], p["targetPort"]) for p in service["spec"]["ports"]} == {
        ("datalab", 12345, 12345), ("datalab-apps", 12346, 12346)}
    settings = json.loads(objects[("ConfigMap", "datalab-config")]["data"]["settings.json"])
    release = settings["release"]["name"]
    assert service["spec"]["selector"] == {"app": "jupyterhub", "component": "hub", "release": release}
    hub = objects[("NetworkPolicy", "datalab-hub")]["spec"]
    assert hub["ingress"] == [{"ports": [{"port": 12345}, {"port": 12346}]}]
    proxy = objects[("NetworkPolicy", "datalab-proxy")]["spec"]
    assert proxy["egress"][0]["ports"] == [{"port": 12345}]
    assert settings["serviceUrl"] == f"http://datalab.{ns}.svc.cluster.local:12345"
    # z2jh's network policies off: the datalab adds none either (they would isolate the pods)
    ok, docs, _, _ = helm({"jupyterhub": {"hub": {"networkPolicy": {"enabled": False}},
                                          "proxy": {"chp": {"networkPolicy": {"enabled": False}}}}})
    assert ok, docs
    assert not [d for d in docs if d["kind"] == "NetworkPolicy"]


def test_identity_key_is_kept_across_upgrades(helm, tmp_path):
    """The signing key is generated once: `helm upgrade` finds the Secret and keeps it."""
    from jupyterhub_datalab.identity import load_or_create_key

    ok, (installed, docs), _, _ = helm(upgrade=True)
    assert ok, docs

    def key(docs):
        return base64.b64decode(by_kind(docs)[("Secret", "datalab-identity")]["data"]["identity-key.pem"])

    pem = key(docs)
    assert pem == key(installed)
    assert pem.startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    ns = docs[0]["metadata"]["namespace"]
    stored = [s for s in helm.cluster.objects("v1/secrets", ns) if s["metadata"]["name"] == "datalab-identity"]
    assert len(stored) == 1
    assert base64.b64decode(stored[0]["data"]["identity-key.pem"]) == pem
    path = tmp_path / "identity-key.pem"
    path.write_bytes(pem)
    assert load_or_create_key(path).key_size >= 2048


# -- the schema ------------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "expected"), [
    ({"datalab": {"oidc": {"isuer": "https://kc.example/realms/x"}}},
     ["datalab", "/datalab/oidc", "additional properties 'isuer' not allowed"]),
    ({"datalab": {"s3Endpoint": "https://minio.example"}},
     ["/datalab", "additional properties 's3Endpoint' not allowed"]),
    ({"datalab": {"service": {"port": "10101"}}},
     ["/datalab/service/port", "got string, want integer"]),
    ({"datalab": {"namespaces": {"manage": "yes"}}},
     ["/datalab/namespaces/manage", "got string, want boolean"]),
])
def test_schema_rejects_typos_and_wrong_types(helm, values, expected):
    ok, error, _, _ = helm(values)
    assert not ok
    assert "values don't meet the specifications of the schema" in error, error
    for part in expected:
        assert part in error, error


# -- the hub configuration, loaded by a real JupyterHub ----------------------------------

# What Zero to JupyterHub's jupyterhub_config.py has set when it runs hub.extraConfig: the
# settings the datalab's must live with (z2jh 4: services and roles for the idle culler,
# KubeSpawner.environment from singleuser.extraEnv, the dummy authenticator by default).
Z2JH_LIKE = """
c = get_config()  # noqa
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
c.JupyterHub.hub_connect_url = "http://hub:8081"
c.KubeSpawner.namespace = {namespace!r}
c.KubeSpawner.environment = {{"FROM_EXTRA_ENV": "1"}}
c.KubeSpawner.extra_labels = {{"hub.jupyter.org/network-access-hub": "true"}}
c.JupyterHub.services = [{{"name": "jupyterhub-idle-culler",
                          "command": ["python3", "-m", "jupyterhub_idle_culler"]}}]
c.JupyterHub.load_roles = [{{"name": "jupyterhub-idle-culler", "services": ["jupyterhub-idle-culler"],
                            "scopes": ["list:users", "read:users:activity", "delete:servers"]}}]

# hub.extraConfig, as the datalab chart's values.yaml sets it
{extra_config}
"""

CHECK = """
import asyncio, json, sys
from jupyterhub.app import JupyterHub
from jupyterhub.objects import Hub
from jupyterhub_datalab.service.app import DatalabService
from jupyterhub_datalab.catalog import DatalabCatalog

app = JupyterHub()
app.load_config_file(sys.argv[1])
auth = app.authenticator_class(parent=app, config=app.config)
async def make_spawner():  # KubeSpawner makes its API client in a running loop
    return app.spawner_class(_mock=True, config=app.config, hub=Hub())
spawner = asyncio.run(make_spawner())
names = ("issuer client_id oauth_callback_url scope username_claim included_group_pattern "
         "transform_group_pattern allowed_email_domains identity_issuer_url identity_key_file "
         "identity_token_lifetime allow_all").split()
report = {"authenticator": type(auth).__module__ + "." + type(auth).__name__,
          "spawner": type(spawner).__module__ + "." + type(spawner).__name__,
          "auth": {n: getattr(auth, n) for n in names},
          "allowed_groups": sorted(auth.allowed_groups), "admin_groups": sorted(auth.admin_groups),
          "jwks_keys": len(auth.identity.jwks()["keys"])}
names = ("hub_namespace user_quota project_quota limit_range "
         "gpu_resource_name gpu_node_selector gpu_tolerations namespace_labels manage_namespaces "
         "cpu_guarantee_ratio mem_guarantee_ratio default_entry environment server_token_scopes "
         "hub_namespace_role hub_service_account").split()
report["spawner_traits"] = {n: getattr(spawner, n) for n in names}
credentials = ("s3_endpoint s3_region s3_role_arn s3_session_duration s3_personal_bucket_template "
               "s3_project_bucket_template vault_addr vault_role vault_jwt_mount vault_kv_mount "
               "vault_user_dir_template").split()
report["spawner_credentials"] = {n: getattr(spawner.credentials, n) for n in credentials}
report["hub"] = {"hub_connect_url": app.hub_connect_url, "allow_named_servers": app.allow_named_servers,
                 "named_server_limit_per_user": getattr(app.named_server_limit_per_user, "limit", app.named_server_limit_per_user),
                 "services": app.services, "roles": [r["name"] for r in app.load_roles]}
# the datalab service reads the same file through its own --config
service = DatalabService()
service.load_config_file(app.services[-1]["command"][-1])
cfg = service.config.DatalabService
report["service"] = {k: cfg[k] for k in ("backend_class", "bind_url", "state_dir",
                                          "max_services_per_user", "apps_url", "apps_bind_url", "hub_url")
                     if k in cfg}
report["service_credentials"] = {n: getattr(service.credentials, n) for n in credentials}
catalog = DatalabCatalog(config=service.config)
entries, errors = catalog.load()
report["catalog"] = {"sources": catalog.sources, "entries": sorted(entries),
                     "errors": [str(e) for e in errors], "access": catalog.access}
print(json.dumps(report, default=sorted))
"""


def mount_configmap(directory, data):
    """Lay out a ConfigMap as the kubelet mounts it: ``..<ts>/`` files, ``..data``, links."""
    stamp = directory / "..2025_11_25_12_00_00.000000001"
    stamp.mkdir(parents=True)
    for name, text in (data or {}).items():
        (stamp / name).write_text(text)
        (directory / name).symlink_to(f"..data/{name}")
    (directory / "..data").symlink_to(stamp.name)


def load_hub_config(docs, tmp, kubeconfig):
    """Install the rendered objects as the hub pod sees them and load them with JupyterHub."""
    objects = by_kind(docs)
    namespace = docs[0]["metadata"]["namespace"]
    prefix = tmp / "root"
    mount_configmap(prefix / "usr/local/etc/datalab/config", objects[("ConfigMap", "datalab-config")]["data"])
    identity = prefix / "usr/local/etc/datalab/identity"
    identity.mkdir(parents=True)
    secret = objects[("Secret", "datalab-identity")]["data"]
    (identity / "identity-key.pem").write_bytes(base64.b64decode(secret["identity-key.pem"]))
    mount_configmap(prefix / "srv/datalab/catalog/entries", objects[("ConfigMap", "datalab-catalog")]["data"])
    mount_configmap(prefix / "srv/datalab/catalog/shared", objects[("ConfigMap", "datalab-catalog-shared")]["data"])
    extra = yaml.safe_load((CHART / "values.yaml").read_text())["jupyterhub"]["hub"]["extraConfig"]["datalab"]
    extra = extra.replace('"/usr/local/etc/datalab', f'"{prefix}/usr/local/etc/datalab')
    config = tmp / "jupyterhub_config.py"
    config.write_text(Z2JH_LIKE.format(namespace=namespace, extra_config=extra))
    (tmp / "check.py").write_text(CHECK)
    # KubeSpawner loads a kube config even as a mock: the emulated API's
    env = {**os.environ, "DATALAB_PATH_PREFIX": str(prefix), "KUBECONFIG": kubeconfig}
    out = subprocess.run([sys.executable, str(tmp / "check.py"), str(config)], cwd=tmp, env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr[-4000:]
    return json.loads(out.stdout.strip().splitlines()[-1]), namespace


def test_full_hub_config_loads_in_jupyterhub(helm, tmp_path):
    ok, docs, _, _ = helm(full_values())
    assert ok, docs
    started = time.monotonic()
    report, ns = load_hub_config(docs, tmp_path, helm.kubeconfig)
    print(f"hub config loaded in {time.monotonic() - started:.2f}s")
    assert report["authenticator"] == "jupyterhub_datalab.auth.DatalabOAuthenticator"
    assert report["spawner"] == "jupyterhub_datalab.kubespawner.DatalabKubeSpawner"
    auth = report["auth"]
    assert auth["issuer"] == "https://keycloak.example.gouv.fr/realms/datalab"
    assert auth["client_id"] == "datalab"
    assert auth["oauth_callback_url"] == "https://datalab.example.gouv.fr/hub/oauth_callback"
    assert auth["identity_issuer_url"] == "https://datalab.example.gouv.fr/hub/datalab"
    assert auth["identity_key_file"].endswith("/usr/local/etc/datalab/identity/identity-key.pem")
    assert auth["identity_token_lifetime"] == 1800
    assert auth["included_group_pattern"] == "datalab-.*"
    assert auth["allow_all"] is False and report["allowed_groups"] == ["ml", "stats"]
    assert report["admin_groups"] == ["admins"] and report["jwks_keys"] == 1
    # S3 and Vault: one section (DatalabCredentials), the same for the spawner and the service
    # (seen before: the service's project bucket kept its default while the spawner's was set)
    s = report["spawner_credentials"]
    assert report["service_credentials"] == s
    assert s["s3_endpoint"] == "https://minio.example.gouv.fr"
    assert s["s3_role_arn"] == "arn:minio:iam:::role/datalab-user"
    assert s["s3_region"] == "eu-west-3" and s["s3_session_duration"] == 28800
    assert s["s3_project_bucket_template"] == "datalab-project-{project}"
    assert (s["vault_addr"], s["vault_role"], s["vault_jwt_mount"], s["vault_kv_mount"]) == \
        ("https://vault.example.gouv.fr", "datalab-user", "jwt-datalab", "onyxia-kv")
    s = report["spawner_traits"]
    assert s["hub_namespace"] == ns
    # the hub's rights in the namespaces it creates: the chart's namespaced role
    assert (s["hub_namespace_role"], s["hub_service_account"]) == (f"datalab-hub-{ns}", "hub")
    assert s["user_quota"]["limits.cpu"] == "8" and s["user_quota"]["requests.nvidia.com/gpu"] == "1"
    assert s["project_quota"] == {"limits.cpu": "16", "limits.memory": "64Gi", "pods": "20"}
    assert s["limit_range"]["max"] == {"cpu": "8", "memory": "32Gi"}
    assert s["gpu_node_selector"] == {"nvidia.com/gpu.present": "true"}
    assert s["gpu_tolerations"] == [{"key": "gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
    assert s["namespace_labels"] == {"pod-security.kubernetes.io/enforce": "baseline"}
    assert s["cpu_guarantee_ratio"] == 0.5 and s["mem_guarantee_ratio"] == 0.75
    # z2jh's KubeSpawner.environment did not hide the datalab's variables
    assert s["environment"]["DATALAB_SERVICE_URL"] == f"http://datalab.{ns}.svc.cluster.local:10101/services/datalab/"
    assert s["environment"]["FROM_EXTRA_ENV"] == "1"
    # the welcome page's link to the documentation (datalab.docsUrl)
    assert s["environment"]["DATALAB_DOCS_URL"] == "https://docs.datalab.example.gouv.fr"
    assert "admin:auth_state!user" in s["server_token_scopes"]
    hub = report["hub"]
    assert hub["hub_connect_url"] == f"http://hub.{ns}.svc.cluster.local:8081"
    assert hub["allow_named_servers"] is True and hub["named_server_limit_per_user"] == 3  # extraConfig
    assert [x["name"] for x in hub["services"]] == ["jupyterhub-idle-culler", "datalab"]
    datalab = hub["services"][-1]
    assert datalab["url"] == f"http://datalab.{ns}.svc.cluster.local:10101"
    assert datalab["command"][1:3] == ["-m", "jupyterhub_datalab.service"]
    assert {"jupyterhub-idle-culler", "user", "datalab-service"} <= set(hub["roles"])
    assert report["service"] == {
        "backend_class": "jupyterhub_datalab.companions.kubernetes.KubernetesBackend",
        "bind_url": "http://0.0.0.0:10101", "state_dir": "/srv/jupyterhub/datalab-service",
        "max_services_per_user": 5,
        # companions' web UIs on origins of their own
        "apps_url": "https://{name}--{owner}.apps.datalab.example.org", "apps_bind_url": "http://0.0.0.0:10102",
        "hub_url": "https://datalab.example.org"}
    catalog = report["catalog"]
    # the git checkout of the example does not exist here: that source reports its error
    assert [e for e in catalog["errors"] if "catalog-git" not in e] == []
    assert "jupyter-stats" in catalog["entries"] and "jupyter-python" in catalog["entries"]
    assert catalog["entries"].count("jupyter-stats") == 1
    assert catalog["access"]["jupyter-pytorch-gpu"]["groups"] == ["ml"]


def test_default_hub_config_loads_in_jupyterhub(helm, tmp_path):
    ok, docs, _, _ = helm()
    assert ok, docs
    report, _ = load_hub_config(docs, tmp_path, helm.kubeconfig)
    # unset values leave the defaults
    assert report["spawner_credentials"]["s3_endpoint"] == "" == report["service_credentials"]["vault_addr"]
    s = report["spawner_traits"]
    assert s["user_quota"]["limits.cpu"] == "16" and s["gpu_resource_name"] == "nvidia.com/gpu"
    assert s["gpu_tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert report["auth"]["issuer"] == "" and report["auth"]["allow_all"] is True
    assert report["catalog"]["errors"] == [] and "jupyter-python" in report["catalog"]["entries"]
    assert report["catalog"]["sources"] == [report["catalog"]["sources"][0]]  # the shipped catalog only
