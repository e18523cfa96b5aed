"""The emulated Kubernetes API refuses what a real API server refuses (``apiserver.py``'s
strict layer), so that tests on it stop hiding real behaviour. Seen before: it accepted a
patch of a RoleBinding's roleRef (a real server answers 422, and every spawn broke after a
change of the namespaces' role), kept the uid and status a client sent, and admitted
privileged pods in namespaces enforcing Pod Security ``restricted``."""

import pytest
import requests

from jupyterhub_datalab import kubernetes as k8s

from .apiserver import ClusterThread
from .workloads import WorkloadCluster

RB = "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings"
PODS = "/api/v1/namespaces/{ns}/pods"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    running = ClusterThread(tmp_path_factory.mktemp("pods"), cluster_class=WorkloadCluster).start()
    for name, level in (("strict-r", "restricted"), ("strict-b", "baseline")):
        r = requests.post(f"{running.url}/api/v1/namespaces", timeout=10,
                          json=k8s.namespace_manifest(name, "user", name, pod_security=level))
        assert r.status_code in (200, 201), r.text
    requests.post(f"{running.url}/api/v1/namespaces", json={"metadata": {"name": "open"}}, timeout=10)
    yield running
    running.stop()


def test_a_role_bindings_role_ref_cannot_change(api):
    binding = k8s.role_binding_manifest("strict-r", "b", "edit", [("strict-r", "datalab")])
    assert requests.post(api.url + RB.format(ns="strict-r"), json=binding, timeout=10).status_code in (200, 201)
    url = api.url + RB.format(ns="strict-r") + "/b"
    patch = requests.patch(url, json={"roleRef": {**binding["roleRef"], "name": "view"}}, timeout=10,
                           headers={"Content-Type": "application/merge-patch+json"})
    assert patch.status_code == 422, patch.text
    assert patch.json()["reason"] == "Invalid" and "cannot change roleRef" in patch.json()["message"]
    replace = requests.put(url, json={**binding, "roleRef": {**binding["roleRef"], "name": "admin"}}, timeout=10)
    assert replace.status_code == 422, replace.text
    # subjects may change
    subjects = requests.patch(url, json={"subjects": []}, timeout=10,
                              headers={"Content-Type": "application/merge-patch+json"})
    assert subjects.status_code == 200, subjects.text
    assert requests.get(url, timeout=10).json()["roleRef"]["name"] == "edit"


def test_server_set_fields_are_the_servers(api):
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "p", "uid": "forged", "creationTimestamp": "2000-01-01T00:00:00Z"},
           "spec": {"containers": [{"name": "c", "image": "busybox", "ports": [{"containerPort": 9}],
                                    "command": ["true"]}]},
           "status": {"phase": "Running", "podIP": "10.9.9.9"}}
    made = requests.post(api.url + PODS.format(ns="open"), json=pod, timeout=10).json()
    assert made["metadata"]["uid"] != "forged" and made["metadata"]["creationTimestamp"] != "2000-01-01T00:00:00Z"
    assert made["status"] == {"phase": "Pending"}
    again = {**pod, "metadata": {"name": "q", "resourceVersion": "7"}}
    refused = requests.post(api.url + PODS.format(ns="open"), json=again, timeout=10)
    assert refused.status_code == 500 and "resourceVersion should not be set" in refused.json()["message"]
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {}}
    url = api.url + "/api/v1/namespaces/open/secrets"
    current = requests.post(url, json=secret, timeout=10).json()["metadata"]["resourceVersion"]
    ok = requests.put(f"{url}/s", json={**secret, "metadata": {"name": "s", "resourceVersion": current}}, timeout=10)
    assert ok.status_code == 200, ok.text
    stale = requests.put(f"{url}/s", json={**secret, "metadata": {"name": "s", "resourceVersion": current}},
                         timeout=10)
    assert stale.status_code == 409 and "has been modified" in stale.json()["message"], stale.text
    assert requests.put(f"{url}/s", json=secret, timeout=10).status_code == 200  # unconditional


def test_pod_security_admission_follows_the_namespaces_level(api):
    root = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "root"},
            "spec": {"containers": [{"name": "c", "image": "busybox", "ports": [{"containerPort": 9}],
                                     "command": ["true"], "securityContext": {"runAsUser": 0}}]}}
    refused = requests.post(api.url + PODS.format(ns="strict-r"), json=root, timeout=10)
    assert refused.status_code == 403, refused.text
    message = refused.json()["message"]
    assert message.startswith('pods "root" is forbidden: violates PodSecurity "restricted:latest": '), message
    assert "runs as uid 0" in message
    # baseline lets root in, not a privileged container; an unlabelled namespace anything
    assert requests.post(api.url + PODS.format(ns="strict-b"), json=root, timeout=10).status_code in (200, 201)
    privileged = {**root, "metadata": {"name": "priv"}, "spec": {"containers": [
        {**root["spec"]["containers"][0], "securityContext": {"privileged": True}}]}}
    assert requests.post(api.url + PODS.format(ns="strict-b"), json=privileged, timeout=10).status_code == 403
    assert requests.post(api.url + PODS.format(ns="open"), json=privileged, timeout=10).status_code in (200, 201)


def test_a_deployments_refused_pod_becomes_its_replica_failure(api):
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                  "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "d"}},
                           "template": {"metadata": {"labels": {"app": "d"}},
                                        "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}
    r = requests.post(api.url + "/apis/apps/v1/namespaces/strict-r/deployments", json=deployment, timeout=10)
    assert r.status_code in (200, 201), r.text
    status = requests.get(api.url + "/apis/apps/v1/namespaces/strict-r/deployments/d", timeout=10).json()["status"]
    [failure] = [c for c in status["conditions"] if c["type"] == "ReplicaFailure"]
    assert 'violates PodSecurity "restricted:latest"' in failure["message"]
