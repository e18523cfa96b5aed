"""The emulated API server of ``apiserver.py``, plus what companions need from a cluster.

Still no real kube-apiserver here (none can run on this machine): this extends
``EmulatedCluster`` with the few things a cluster does for Deployments, and nothing
runs in the companions' pods:

- Deployments (``apps/v1``) and a deployment controller of sorts: after each create,
  patch, replace or delete it makes the pods ``spec.replicas`` asks for from the
  template (owned by a ReplicaSet ``<name>-<template hash>``), through the same
  ResourceQuota admission as pods created through the API; a refusal becomes the
  Deployment's ``ReplicaFailure`` condition and a ``FailedCreate`` event, as the real
  controllers report it. Scaling down or deleting removes the pods (garbage collection);
- the controller's pods are **not run**: no container process starts; they are
  reported Running and ready at once (``pod_status`` can say otherwise, e.g. an
  ``ImagePullBackOff``), and the Deployment's ``readyReplicas`` follows;
- ``labelSelector`` on lists (``k=v``, ``k!=v``, ``k``, ``!k``);
- ``pods/<name>/log``: the lines in ``pod_logs`` (a note that nothing runs by default),
  or the ``pod.log`` of a pod the base runner started;
- ResourceQuota admission for PersistentVolumeClaims (``persistentvolumeclaims``,
  ``requests.storage``); created claims are reported ``Bound``.
"""

import datetime
import hashlib
import json
import uuid
from decimal import Decimal

import aiohttp.web
import attrs
import kmock
from kmock._internal.k8s import KubernetesError

from .apiserver import PODS, QUOTAS, EmulatedCluster, _show, quantity

DEPLOYMENTS = kmock.resource("apps/v1/deployments")
PVCS = kmock.resource("v1/persistentvolumeclaims")
EVENTS = kmock.resource("v1/events")
NOTHING_RUNS = "(emulated Kubernetes API: no container process runs in this pod)"


def _now():
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def matches(labels, selector):
    """Whether ``labels`` satisfy a ``labelSelector`` string (equality and existence)."""
    labels = labels or {}
    for term in filter(None, (t.strip() for t in (selector or "").split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key.strip()) != value.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def running_ready(pod):
    """What the emulated kubelet reports for a companion pod: Running and ready."""
    now = _now()
    container = pod["spec"]["containers"][0]
    return {"phase": "Running", "podIP": "10.0.0.1", "hostIP": "127.0.0.1", "startTime": now,
            "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
                           {"type": "Ready", "status": "True", "lastTransitionTime": now}],
            "containerStatuses": [{"name": container["name"], "ready": True, "restartCount": 0,
                                   "image": container["image"], "imageID": "", "started": True,
                                   "state": {"running": {"startedAt": now}}}]}


@attrs.define(kw_only=True)
class WorkloadCluster(EmulatedCluster):
    pod_status: object = attrs.field(default=running_ready)  # fn(pod) -> the pod's status
    pod_logs: dict = attrs.field(factory=dict)  # (namespace, pod name) -> [lines]

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        self.resources["apps/v1/deployments"] = kmock.ResourceInfo(
            kind="Deployment", namespaced=True,
            verbs={"list", "watch", "get", "create", "update", "patch", "delete"})

    async def _handle(self, request):
        self.authorize(request)  # before the lists and logs answered here
        if (request.resource is not None and request.action == kmock.action.LIST
                and request.params.get("labelSelector")
                and request.params.get("watch") not in ("True", "true", "1")):
            items = [raw for raw in self.live(request.resource, request.namespace)
                     if matches(raw.get("metadata", {}).get("labels"), request.params["labelSelector"])]
            return aiohttp.web.json_response({"apiVersion": "v1", "kind": "List", "items": items,
                                              "metadata": {"resourceVersion": str(self._version)}})
        if request.resource == PODS and request.subresource == "log":
            return self._serve_log(request)
        if (request.resource == PVCS and request.action == kmock.action.CREATE
                and isinstance(request.data, dict)):
            self._admit_claim(request.namespace, request.data)
            request.data.setdefault("status", {"phase": "Bound"})
        response = await super()._handle(request)
        if request.resource == DEPLOYMENTS and request.method in (
                kmock.method.POST, kmock.method.PATCH, kmock.method.PUT, kmock.method.DELETE):
            name = request.name or (request.data or {}).get("metadata", {}).get("name")
            await self.reconcile(request.namespace, name)
        return response

    # -- pods/<name>/log ---------------------------------------------------------------------

    def _serve_log(self, request):
        key = (PODS, request.namespace, request.name)
        if key not in self._objects or self._objects[key].deleted:
            raise KubernetesError(status=404, reason="NotFound",
                                  message=f'pods "{request.name}" not found')
        lines = self.pod_logs.get((request.namespace, request.name))
        if lines is None:
            path = self.workdir / request.namespace / request.name / "pod.log"
            lines = path.read_text(errors="replace").splitlines() if path.exists() else [NOTHING_RUNS]
        tail = request.params.get("tailLines")
        if tail:
            lines = lines[-int(tail):] if int(tail) else []
        return aiohttp.web.Response(text="".join(f"{line}\n" for line in lines),
                                    content_type="text/plain")

    # -- admission of disks ---------------------------------------------------------------------

    def _admit_claim(self, namespace, claim):
        def usage(pvc):
            storage = (((pvc.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
            return {"persistentvolumeclaims": Decimal(1),
                    "requests.storage": quantity(storage or 0)}

        requested = usage(claim)
        used = {}
        for other in self.live(PVCS, namespace):
            for key, value in usage(other).items():
                used[key] = used.get(key, Decimal(0)) + value
        for quota in self.live(QUOTAS, namespace):
            hard = {k: quantity(v) for k, v in (quota.get("spec", {}).get("hard") or {}).items()}
            over = [k for k in hard if k in requested and used.get(k, Decimal(0)) + requested[k] > hard[k]]
            if over:
                def pairs(values, over=over):
                    return ",".join(f"{k}={_show(values.get(k, Decimal(0)), k.replace('storage', 'memory'))}"
                                    for k in over)  # sizes as the apiserver writes them: 5Gi
                name = claim["metadata"].get("name")
                raise KubernetesError(
                    status=403, reason="Forbidden",
                    message=f'persistentvolumeclaims "{name}" is forbidden: exceeded quota: '
                            f'{quota["metadata"]["name"]}, requested: {pairs(requested)}, '
                            f"used: {pairs(used)}, limited: {pairs(hard)}",
                    details={"name": name, "kind": "persistentvolumeclaims"})

    # -- the deployment controller ----------------------------------------------------------------

    def _get(self, resource, namespace, name):
        key = (resource, namespace, name)
        if key in self._objects and not self._objects[key].deleted:
            return self._objects[key].raw
        return None

    async def _put(self, resource, namespace, name, raw):
        key = (resource, namespace, name)
        async with self._lock:
            if key in self._objects:
                self._objects[key].create(raw)
            else:
                self._objects[key] = raw
            await self._buses[resource].put({"type": "ADDED", "object": self._objects[key].raw})

    async def _remove(self, resource, namespace, name):
        key = (resource, namespace, name)
        async with self._lock:
            if key in self._objects and not self._objects[key].deleted:
                self._objects[key].delete()
                await self._buses[resource].put({"type": "DELETED", "object": self._objects[key].last.raw})

    async def _patch(self, resource, namespace, name, changes):
        key = (resource, namespace, name)
        async with self._lock:
            if key in self._objects and not self._objects[key].deleted:
                meta = {}
                self._stamp(meta)
                self._objects[key].patch({**changes, "metadata": {**changes.get("metadata", {}), **meta}})
                await self._buses[resource].put({"type": "MODIFIED", "object": self._objects[key].raw})

    async def event(self, namespace, kind, name, reason, message, type_="Normal"):
        now = _now()
        event_name = f"{name}.{uuid.uuid4().hex[:12]}"
        self._version += 1
        await self._put(EVENTS, namespace, event_name, {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": event_name, "namespace": namespace, "uid": str(uuid.uuid4()),
                         "resourceVersion": str(self._version), "creationTimestamp": now},
            "involvedObject": {"kind": kind, "name": name, "namespace": namespace,
                               "apiVersion": "apps/v1" if kind in ("Deployment", "ReplicaSet") else "v1"},
            "reason": reason, "message": message, "type": type_, "count": 1,
            "firstTimestamp": now, "lastTimestamp": now,
            "source": {"component": "emulated-controller"}})

    def _owned_pods(self, namespace, name):
        out = []
        for pod in self.live(PODS, namespace):
            for ref in pod["metadata"].get("ownerReferences") or []:
                if ref.get("kind") == "ReplicaSet" and ref.get("name", "").rsplit("-", 1)[0] == name:
                    out.append(pod)
        return out

    async def reconcile(self, namespace, name):
        """Make the pods a Deployment asks for, or remove them; then its status."""
        deployment = self._get(DEPLOYMENTS, namespace, name)
        pods = self._owned_pods(namespace, name)
        if deployment is None:
            for pod in pods:
                await self._remove(PODS, namespace, pod["metadata"]["name"])
            return
        spec = deployment.get("spec") or {}
        template = spec.get("template") or {}
        template_hash = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]
        replica_set = f"{name}-{template_hash}"
        wanted = spec.get("replicas", 1)
        for pod in pods:  # Recreate: old pods go first, and extra ones
            current = pod["metadata"]["ownerReferences"][0]["name"] == replica_set
            if not current or wanted <= 0:
                await self._remove(PODS, namespace, pod["metadata"]["name"])
                await self.event(namespace, "ReplicaSet", pod["metadata"]["ownerReferences"][0]["name"],
                                 "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")
        pods = self._owned_pods(namespace, name)
        failure = None
        while len(pods) < wanted:
            pod_name = f"{replica_set}-{uuid.uuid4().hex[:5]}"
            self._version += 1
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {**json.loads(json.dumps(template.get("metadata") or {})),
                                "name": pod_name, "namespace": namespace, "uid": str(uuid.uuid4()),
                                "resourceVersion": str(self._version), "creationTimestamp": _now(),
                                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                                     "name": replica_set, "uid": str(uuid.uuid4()),
                                                     "controller": True}]},
                   "spec": json.loads(json.dumps(template.get("spec") or {}))}
            pod["metadata"].setdefault("labels", {})["pod-template-hash"] = template_hash
            try:
                self._admit_pod(namespace, pod)
            except KubernetesError as e:
                failure = e.message
                await self.event(namespace, "ReplicaSet", replica_set, "FailedCreate",
                                 f"Error creating: {e.message}", "Warning")
                break
            pod["status"] = self.pod_status(pod)
            await self._put(PODS, namespace, pod_name, pod)
            await self.event(namespace, "ReplicaSet", replica_set, "SuccessfulCreate",
                             f"Created pod: {pod_name}")
            await self.event(namespace, "Pod", pod_name, "Pulled",
                             f"Container image \"{pod['spec']['containers'][0]['image']}\" (emulated: "
                             "not pulled, nothing runs)")
            pods.append(pod)
        ready = sum(1 for p in pods for c in (p.get("status") or {}).get("conditions") or []
                    if c.get("type") == "Ready" and c.get("status") == "True")
        conditions = [{"type": "Available", "status": "True" if ready >= wanted else "False",
                       "reason": "MinimumReplicasAvailable" if ready >= wanted else "MinimumReplicasUnavailable",
                       "lastUpdateTime": _now(), "lastTransitionTime": _now()}]
        if failure:
            conditions.append({"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                               "message": failure, "lastUpdateTime": _now(), "lastTransitionTime": _now()})
        await self._patch(DEPLOYMENTS, namespace, name, {"status": {
            "observedGeneration": 1, "replicas": len(pods), "updatedReplicas": len(pods),
            "readyReplicas": ready, "availableReplicas": ready,
            "unavailableReplicas": max(0, wanted - ready), "conditions": conditions}})

    async def set_pod_status(self, namespace, pod_name, status):
        """Change what the kubelet reports for a pod, and the Deployment's counts."""
        await self._patch(PODS, namespace, pod_name, {"status": status})
        pod = self._get(PODS, namespace, pod_name)
        owner = pod["metadata"]["ownerReferences"][0]["name"].rsplit("-", 1)[0]
        await self.reconcile(namespace, owner)
