"""The emulated Kubernetes API of ``tests/kubernetes/apiserver.py``, as Helm needs it.

Helm maps every kind through discovery, so the kinds the datalab chart makes are declared
here (ConfigMap, ClusterRole...), and ``/version`` says 1.33 (the chart's ``kubeVersion``
and the version its manifests are validated against). Helm keeps its release records in
its ``memory`` driver (``HELM_DRIVER=memory``): client-go sends those Secrets as protobuf,
which kmock does not decode; the chart's own objects go to the emulated API as JSON.
"""

import attrs
import kmock

from ..kubernetes.apiserver import ClusterThread, EmulatedCluster

KUBE_VERSION = "1.33"
HELM_RESOURCES = {
    "v1/configmaps": ("ConfigMap", True),
    "v1/endpoints": ("Endpoints", True),
    "apps/v1/deployments": ("Deployment", True),
    "apps/v1/statefulsets": ("StatefulSet", True),
    "rbac.authorization.k8s.io/v1/roles": ("Role", True),
    "rbac.authorization.k8s.io/v1/clusterroles": ("ClusterRole", False),
    "rbac.authorization.k8s.io/v1/clusterrolebindings": ("ClusterRoleBinding", False),
    "networking.k8s.io/v1/ingresses": ("Ingress", True),
    "policy/v1/poddisruptionbudgets": ("PodDisruptionBudget", True),
}


@attrs.define(kw_only=True)
class HelmCluster(EmulatedCluster):
    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        for key, (kind, namespaced) in HELM_RESOURCES.items():
            self.resources[key] = kmock.ResourceInfo(
                kind=kind, namespaced=namespaced,
                verbs={"list", "watch", "get", "create", "update", "patch", "delete"})

    async def _serve_server_version(self, request):
        major, minor = KUBE_VERSION.split(".")
        return {"major": major, "minor": minor, "gitVersion": f"v{KUBE_VERSION}.0",
                "gitCommit": "0" * 40, "gitTreeState": "clean", "buildDate": "2025-04-23T00:00:00Z",
                "goVersion": "go1.24.2", "compiler": "gc", "platform": "linux/amd64"}


def start(workdir):
    return ClusterThread(workdir, cluster_class=HelmCluster).start()
