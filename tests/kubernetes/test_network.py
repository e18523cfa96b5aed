"""Who reaches whom on a cluster: computed from every NetworkPolicy a datalab cluster has,
with the published NetworkPolicy rules (``netpol.py``).

The policies are the datalab chart's, rendered by real Helm (its ``datalab-hub`` and
``datalab-proxy`` policies), those the spawner and the companions' backend really wrote
to the emulated Kubernetes API (``apiserver.py``: the one emulated part), and Zero to
JupyterHub's for the hub and the proxy (``z2jh.py``: rebuilt from the chart's values, the
subchart cannot be fetched here). Users' server pods carry the labels KubeSpawner gives
them under z2jh; companions' pods are the ones the emulated controller made from their
Deployments. Seen before: members' kernels could not reach a companion shared with their
project (it ran in its owner's namespace, admitting only that namespace and the hub's),
and the hub and the proxy reached users' pods only through z2jh's ``privateIPs`` ipBlock
rule, which Cilium does not match for pods.
"""

import json
import types
from pathlib import Path

import pytest
import yaml

from jupyterhub_datalab.catalog import check_options, load, shipped_catalog, to_launch
from jupyterhub_datalab.companions import Companion
from jupyterhub_datalab.companions.kubernetes import KubernetesBackend
from jupyterhub_datalab.names import normalize_name

from ..helm.test_chart import helm, helm_python  # noqa: F401  (fixtures)
from . import z2jh
from .apiserver import ClusterThread
from .netpol import Endpoint, Network
from .workloads import WorkloadCluster

OWNER = normalize_name("jean.dupont")  # jean-dupont--<hash>: the hashed names once failed
VALUES = Path(__file__).resolve().parents[2] / "helm" / "datalab" / "values.yaml"


# -- the checker itself ---------------------------------------------------------------------


def policy(namespace, spec, name="p"):
    return {"kind": "NetworkPolicy", "metadata": {"name": name, "namespace": namespace}, "spec": spec}


A = Endpoint("a", "ns-a", {"app": "a"})
B = Endpoint("b", "ns-b", {"app": "b"}, ports={"web": 8080})
OUT = Endpoint("out", None, ip="203.0.113.5")


@pytest.mark.unit
def test_no_policy_allows_everything_and_a_selecting_policy_isolates():
    assert Network([], {"ns-a": {}, "ns-b": {}}).allows(A, B, 80)
    deny_in = policy("ns-b", {"podSelector": {}})  # policyTypes left out: Ingress
    assert not Network([deny_in], {}).allows(A, B, 80)
    assert Network([deny_in], {}).allows(B, A, 80)  # egress of b not isolated
    other = policy("ns-b", {"podSelector": {"matchLabels": {"app": "c"}}})
    assert Network([other], {}).allows(A, B, 80)  # it does not select b


@pytest.mark.unit
def test_peers_ports_and_both_directions():
    from_a_ns = policy("ns-b", {"podSelector": {}, "ingress": [{"from": [
        {"namespaceSelector": {"matchLabels": {"team": "x"}}}], "ports": [{"port": "web"}]}]})
    net = Network([from_a_ns], {"ns-a": {"team": "x"}, "ns-b": {}})
    assert net.allows(A, B, 8080) and not net.allows(A, B, 9090)
    assert not Network([from_a_ns], {"ns-a": {"team": "y"}}).allows(A, B, 8080)
    # podSelector alone: the policy's own namespace only
    same_ns = policy("ns-b", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]})
    assert not Network([same_ns], {}).allows(A, B, 80)
    both = policy("ns-b", {"podSelector": {}, "ingress": [{"from": [
        {"namespaceSelector": {}, "podSelector": {"matchExpressions": [
            {"key": "app", "operator": "In", "values": ["a"]}]}}]}]})
    assert Network([both], {}).allows(A, B, 80)
    # the source's egress must allow it too
    no_out = policy("ns-a", {"podSelector": {}, "policyTypes": ["Egress"], "egress": []})
    assert not Network([no_out], {}).allows(A, B, 80)


@pytest.mark.unit
def test_ip_blocks_match_outside_addresses_only_minus_their_exceptions():
    egress = policy("ns-a", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["203.0.113.5/32"]}}]}]})
    net = Network([egress], {})
    assert not net.allows(A, OUT, 443)
    assert net.allows(A, Endpoint("x", None, ip="198.51.100.1"), 443)
    assert not net.allows(A, B, 80)  # a pod: ipBlock does not match it (Cilium)
    udp = policy("ns-a", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
        {"ports": [{"port": 53, "protocol": "UDP"}]}]})
    assert Network([udp], {}).allows(A, B, 53, "UDP") and not Network([udp], {}).allows(A, B, 53)


# -- the datalab's cluster ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = ClusterThread(tmp_path_factory.mktemp("pods"), cluster_class=WorkloadCluster).start()
    yield running
    running.stop()


async def start(cluster, release_namespace, name, groups):
    """What the hub does for the namespaces at each start of a user's server."""
    from jupyterhub_datalab.kubespawner import DatalabKubeSpawner

    user = types.SimpleNamespace(name=name, id=1, url=f"/user/{name}/",
                                 groups=[types.SimpleNamespace(name=g) for g in groups])
    spawner = DatalabKubeSpawner(_mock=True, user=user, k8s_api_host=cluster.url, k8s_api_verify_ssl=False,
                                 hub_namespace=release_namespace)
    await spawner.ensure_namespaces()


async def prepare(cluster, release_namespace, tmp_path, monkeypatch):
    """jean.dupont (a name that needed hashing) and bob in project stats, carol in none: their
    namespaces as the spawner makes them; jean's PostgreSQL launched shared with stats, and
    another shared after its launch."""
    from kubernetes_asyncio.config import kube_config

    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION",
                        str(cluster.kubeconfig(tmp_path / "kubeconfig")))
    for name, groups in ((OWNER, ["stats"]), ("bob", ["stats"]), ("carol", [])):
        await start(cluster, release_namespace, name, groups)
    entries, errors = load([shipped_catalog()])
    assert not errors
    backend = KubernetesBackend(api_host=cluster.url, catalog=entries, admission_timeout=5)
    entry = entries["postgresql"]
    context = {"user": {"name": OWNER, "email": "", "project": "", "projects": ["stats"]}, "region": {}}
    launch = to_launch(entry, check_options(entry, {}, context))
    try:
        # shared with the project at its launch: it runs in the project's namespace
        db = Companion(owner=OWNER, name="db", entry="postgresql", version="", options={},
                       namespace=f"user-{OWNER}", project="stats", shared=True)
        await backend.launch(db, launch, {})
        # launched for herself, shared afterwards: its members' policy admits them
        notes = Companion(owner=OWNER, name="notes", entry="postgresql", version="", options={},
                          namespace=f"user-{OWNER}")
        await backend.launch(notes, launch, {})
        notes.project, notes.shared = "stats", True
        await backend.share_changed(notes)
    finally:
        await backend.close()
    return db, notes


def pod_of(cluster, namespace, owner, name):
    [pod] = [p for p in cluster.objects("v1/pods", namespace)
             if p["metadata"]["labels"].get("datalab.io/name") == name
             and p["metadata"]["labels"].get("datalab.io/owner") == owner]
    return Endpoint(f"{name}-{owner}", namespace, pod["metadata"]["labels"])


@pytest.mark.asyncio
async def test_who_reaches_whom(helm, cluster, tmp_path, monkeypatch):  # noqa: F811
    ok, docs, _, _ = helm()
    assert ok, docs
    [config] = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "datalab-config"]
    settings = json.loads(config["data"]["settings.json"])
    release, ns = settings["release"]["name"], settings["release"]["namespace"]
    port = settings["datalab"]["service"]["port"]
    db, notes = await prepare(cluster, ns, tmp_path, monkeypatch)
    assert db.namespace == "project-stats" and notes.namespace == f"user-{OWNER}"
    # in namespaces enforcing restricted, whose admission (strict emulated API) let the pods in
    levels = {n["metadata"]["name"]: n["metadata"]["labels"].get("pod-security.kubernetes.io/enforce")
              for n in cluster.objects("v1/namespaces")}
    assert levels["project-stats"] == levels[f"user-{OWNER}"] == "restricted"

    values = yaml.safe_load(VALUES.read_text())["jupyterhub"]
    chart = [d for d in docs if d["kind"] == "NetworkPolicy"]
    assert {p["metadata"]["name"] for p in chart} == {"datalab-hub", "datalab-proxy"}
    written = cluster.objects("networking.k8s.io/v1/networkpolicies")
    namespaces = {n["metadata"]["name"]: n["metadata"].get("labels") for n in cluster.objects("v1/namespaces")}
    net = Network([*chart, *written, *z2jh.policies(values, release, ns)],
                  {**namespaces, ns: {}, "kube-system": {}})

    hub = Endpoint("hub", ns, z2jh.labels("hub", release), ports={"http": 8081})
    proxy = Endpoint("proxy", ns, z2jh.labels("proxy", release), ports={"http": 8000, "api": 8001})
    server = {name: Endpoint(f"jupyter-{name}", f"user-{name}", z2jh.server_labels(release))
              for name in (OWNER, "bob", "carol")}
    dns = Endpoint("coredns", "kube-system", {"k8s-app": "kube-dns"})
    s3, vault = Endpoint("s3", None, ip="203.0.113.10"), Endpoint("vault", None, ip="203.0.113.11")
    metadata = Endpoint("cloud metadata", None, ip="169.254.169.254")
    shared_db, shared_notes = pod_of(cluster, "project-stats", OWNER, "db"), pod_of(cluster, f"user-{OWNER}", OWNER, "notes")

    reaches = {
        # the hub and the proxy reach users' servers; the hub (datalab service) companions
        (hub, server[OWNER], 8888): True, (proxy, server[OWNER], 8888): True,
        (hub, shared_db, 5432): True, (hub, shared_notes, 5432): True,
        # users' servers reach the hub's API, the datalab service, DNS, S3, Vault
        (server[OWNER], hub, 8081): True, (server[OWNER], hub, port): True, (proxy, hub, port): True,
        (server[OWNER], s3, 443): True, (server[OWNER], vault, 8200): True,
        # but never the cloud's metadata endpoint (node credentials)
        (server[OWNER], metadata, 80): False, (server["carol"], metadata, 80): False,
        # members reach the project's companions, wherever they run
        (server["bob"], shared_db, 5432): True, (server[OWNER], shared_db, 5432): True,
        (server["bob"], shared_notes, 5432): True,
        # an outsider reaches nothing of theirs; a member nothing else of jean's
        (server["carol"], shared_db, 5432): False, (server["carol"], shared_notes, 5432): False,
        (server["carol"], server[OWNER], 8888): False, (server["bob"], server[OWNER], 8888): False,
        (server["carol"], server["bob"], 8888): False,
    }
    wrong = [f"{src!r} -> {dst!r}:{p}: {'refused' if want else 'allowed'}"
             for (src, dst, p), want in reaches.items() if net.allows(src, dst, p) != want]
    assert net.allows(server[OWNER], dns, 53, "UDP")
    assert not wrong, "\n".join(wrong)

    # bob leaves stats: at his next start his namespace loses the label, and his access
    await start(cluster, ns, "bob", [])
    [labels] = [n["metadata"].get("labels") for n in cluster.objects("v1/namespaces")
                if n["metadata"]["name"] == "user-bob"]
    assert not [k for k in labels if k.startswith("member.datalab.io/")], labels
    net.namespaces["user-bob"] = {"kubernetes.io/metadata.name": "user-bob", **labels}
    assert not net.allows(server["bob"], shared_db, 5432)
    assert not net.allows(server["bob"], shared_notes, 5432)
