"""What a real cluster enforces and the emulated API hides: Pod Security levels of the
datalab's namespaces, every container it writes passing ``restricted``, the cloud-metadata
block as a NetworkPolicy rule, usernames that needed hashing, the managed service's view of
the API server. Seen on the rendered chart: user namespaces had no Pod Security label (a
notebook with the namespace's ``edit`` role could create privileged pods), z2jh's default
iptables init container is privileged and root, `jean.dupont` could never spawn, and the
datalab service lost KUBERNETES_SERVICE_HOST."""

import copy

import pytest

from jupyterhub_datalab import kubernetes as k8s
from jupyterhub_datalab import names, trainings
from jupyterhub_datalab.catalog import DatalabCatalog

from ..companions.test_kubernetes_manifests import build, catalog  # noqa: F401  (fixture)
from ..test_kubernetes_manifests import ENVIRONMENTS, kubeconfig, make_spawner, valid  # noqa: F401
from .podsecurity import violations

pytestmark = pytest.mark.unit

Z2JH_METADATA_BLOCKER = {  # what z2jh 4.x adds with singleuser.cloudMetadata.blockWithIptables
    "name": "block-cloud-metadata", "image": "quay.io/jupyterhub/k8s-network-tools:4.3.3",
    "command": ["iptables", "-A", "OUTPUT", "-d", "169.254.169.254", "-j", "DROP"],
    "securityContext": {"privileged": True, "runAsUser": 0, "capabilities": {"add": ["NET_ADMIN"]}}}


def test_the_checker_refuses_what_pod_security_refuses():
    good = {"containers": [{"name": "c", "securityContext": k8s.restricted_security_context(1000)}]}
    assert violations(good) == []
    assert violations({"initContainers": [Z2JH_METADATA_BLOCKER], **good}, "baseline")
    bad = copy.deepcopy(good)
    bad["volumes"] = [{"name": "root", "hostPath": {"path": "/"}}]
    assert "volume root is a hostPath" in violations(bad, "baseline")
    for key, value, words in (("runAsNonRoot", False, "non-root"), ("allowPrivilegeEscalation", True, "Escalation"),
                              ("seccompProfile", {"type": "Unconfined"}, "seccomp"),
                              ("capabilities", {"drop": []}, "ALL")):
        pod = copy.deepcopy(good)
        pod["containers"][0]["securityContext"][key] = value
        assert any(words in v for v in violations(pod)), (key, violations(pod))


def test_namespaces_enforce_restricted_and_block_the_cloud_metadata():
    objects = k8s.namespace_objects("user-alice", owner_kind="user", owner="alice", hub_namespace="datalab",
                                    cluster_role="edit", quota={}, limits={},
                                    accounts={"datalab-edit": [("user-alice", "datalab")]})
    namespace, policy = objects[0], objects[-1]
    labels = namespace["metadata"]["labels"]
    assert {labels[f"pod-security.kubernetes.io/{m}"] for m in ("enforce", "warn", "audit")} == {"restricted"}
    assert "Egress" in policy["spec"]["policyTypes"]
    blocks = [rule for rule in policy["spec"]["egress"] for peer in rule["to"]
              if k8s.CLOUD_METADATA in (peer.get("ipBlock") or {}).get("except", [])]
    assert blocks, policy["spec"]
    assert {"to": [{"namespaceSelector": {}}]} in policy["spec"]["egress"]  # pods by selector (Cilium)
    valid(policy)
    with pytest.raises(ValueError, match="restricted, baseline, privileged"):
        k8s.pod_security_labels("strict")


@pytest.mark.asyncio
@pytest.mark.parametrize("entry_id", ENVIRONMENTS)
async def test_every_user_pod_passes_restricted(entry_id):
    spawner = make_spawner(server="lab")
    spawner.launch = launch = spawner.catalog.launch(entry_id, {"disk": 10}, username="alice")
    await spawner.apply_launch(launch)
    pod = spawner.api.api_client.sanitize_for_serialization(await spawner.get_pod_manifest())
    assert violations(pod) == [], entry_id


@pytest.mark.asyncio
@pytest.mark.parametrize("disk", [0, 10])
async def test_a_training_pod_passes_restricted_beside_z2jhs_init_containers(disk):
    from kubernetes_asyncio.client import V1Container

    spawner = make_spawner(server="course")
    # an init container as z2jh's hub config gives it: an object, not a dict (a training
    # once crashed on it with AttributeError: 'V1Container' object has no attribute 'get')
    spawner.init_containers = [V1Container(name="z2jh-extra", image="busybox",
                                           security_context=k8s.restricted_security_context(1000))]
    spawner.launch = launch = spawner.catalog.launch("first-steps", {"disk": disk}, username="alice")
    await spawner.apply_launch(launch)
    await spawner.put_training_material(launch, trainings.folder(launch.entry))
    pod = spawner.api.api_client.sanitize_for_serialization(await spawner.get_pod_manifest())
    assert [c["name"] for c in pod["spec"]["initContainers"]] == ["z2jh-extra", "training-material"]
    assert violations(pod) == []


def test_every_companion_passes_restricted(catalog):  # noqa: F811
    services = [e.id for e in DatalabCatalog().entries("service")]
    assert services
    for entry_id in services:
        objects, _, _, _ = build(catalog, entry_id)
        assert violations(objects["Deployment"]) == [], entry_id


def test_the_charts_values_turn_z2jhs_privileged_blocker_off():
    import yaml

    from ..helm.test_chart import CHART

    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["jupyterhub"]["singleuser"]["cloudMetadata"]["blockWithIptables"] is False


def test_hashed_usernames_are_platform_names_and_spawn():
    for raw in ("jean.dupont", "Alice", "marie.curie@recherche.gouv.fr", "é"):
        name = names.normalize_name(raw)
        assert "--" in name and names.is_platform_name(name), (raw, name)
        assert k8s.user_namespace(name) == f"user-{name}"
    for forged in ("a---b", "a--b", "-a", "a--0123456789x", "x" * 41):
        assert not names.is_platform_name(forged), forged


@pytest.mark.asyncio
async def test_a_hashed_username_gets_its_namespaces(monkeypatch):
    name = names.normalize_name("jean.dupont")
    spawner = make_spawner(name=name)
    created = []

    async def ensure(manifest, **how):
        created.append((manifest["kind"], manifest["metadata"]["name"]))
        return "created"

    async def no_departures():
        return []

    monkeypatch.setattr(spawner, "ensure_object", ensure)
    monkeypatch.setattr(spawner, "revoke_departed_projects", no_departures)  # tested on the emulated API
    done = await spawner.ensure_namespaces()
    assert ("Namespace", f"user-{name}") in created and done["created"], done


def test_the_managed_service_keeps_the_api_servers_address(monkeypatch):
    from traitlets.config import Config

    from jupyterhub_datalab.hubconfig import configure

    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    c = configure(Config(), service_url="http://hub:10101")
    [service] = [s for s in c.JupyterHub.services if s["name"] == "datalab"]
    assert service["environment"] == {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
