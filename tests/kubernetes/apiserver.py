"""An emulated Kubernetes API server and a small pod runner, for the KubeSpawner path.

No real kube-apiserver can run on this machine, so this is the one emulated part:
``kmock``'s ``KubernetesEmulator`` (an in-memory, HTTP-level emulation of the API)
with the shims ``kubernetes_asyncio`` needs, plus what a cluster does on its own:

- watches: ``kubernetes_asyncio`` asks for ``?watch=True``, kmock only knows ``true``;
- ``/api/v1/namespaces[/<name>]``: kmock reads ``namespaces`` as the namespace prefix of
  a namespaced path and fails on the cluster-scoped Namespace resource itself;
- declared resources, so lists and watches of kinds with no object yet answer empty;
- server-set fields: ``metadata.uid``, ``resourceVersion``, ``creationTimestamp``,
  ``namespace`` from the URL, a Pending ``status`` for new pods; ``PUT`` (replace);
- ResourceQuota admission for pods (``pods``, ``limits.*``, ``requests.*`` of cpu
  and memory), refusing with the same 403 Forbidden Status a real apiserver sends;
- strictness, so the emulation stops hiding what a real API server refuses:
  ``roleRef`` of a RoleBinding is immutable (422 Invalid on a patch or replace that
  changes it), server-set fields are the server's (a created object's ``uid`` and
  ``creationTimestamp`` replace the client's, a new pod's ``status`` is Pending whatever
  was sent, ``resourceVersion`` on a creation is an error, a replace with a stale one a
  409 Conflict), and Pod Security admission refuses a pod (403, as the apiserver words
  it) that violates its namespace's ``pod-security.kubernetes.io/enforce`` level
  (``podsecurity.py``), pods made by the Deployment controller included; and, when a
  test gives an ``authorizer`` (``rbac.py`` with the chart's rendered roles), RBAC: a
  request its ServiceAccount is not granted is a 403 Forbidden;
- a kubelet of sorts: a created pod's single-user server is started as a local
  process (the venv's ``jupyterhub-singleuser``, the pod's env with ``secretKeyRef``
  resolved from the stored Secrets, on its own loopback address 127.0.0.x and the
  pod's port), then the pod is reported Running with its ``podIP`` and ready; a
  deleted pod's process is stopped by PID.

Everything else is real: the hub, the proxy, KubeSpawner, the single-user server.
"""

import asyncio
import base64
import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import uuid
from decimal import Decimal
from pathlib import Path

import aiohttp.test_utils
import aiohttp.web
import attrs
import kmock
from kmock._internal import parsing
from kmock._internal.k8s import KubernetesError, KubernetesObjectNotFoundError

from .podsecurity import violations

RESOURCES = {
    "v1/namespaces": ("Namespace", False),
    "v1/pods": ("Pod", True),
    "v1/events": ("Event", True),
    "v1/secrets": ("Secret", True),
    "v1/serviceaccounts": ("ServiceAccount", True),
    "v1/resourcequotas": ("ResourceQuota", True),
    "v1/limitranges": ("LimitRange", True),
    "v1/persistentvolumeclaims": ("PersistentVolumeClaim", True),
    "v1/services": ("Service", True),
    "rbac.authorization.k8s.io/v1/rolebindings": ("RoleBinding", True),
    "networking.k8s.io/v1/networkpolicies": ("NetworkPolicy", True),
}
PODS = kmock.resource("v1/pods")
NAMESPACES = kmock.resource("v1/namespaces")
ROLE_BINDINGS = kmock.resource("rbac.authorization.k8s.io/v1/rolebindings")
SECRETS = kmock.resource("v1/secrets")
QUOTAS = kmock.resource("v1/resourcequotas")
_SUFFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9,
           "T": 10**12, "m": Decimal("0.001")}


_parse_path = parsing.parse_path


def _parse_path_with_namespaces(path):
    """kmock's path parser, plus the Namespace resource itself (see the module doc)."""
    parts = path.strip("/").split("/")
    if parts[:3] == ["api", "v1", "namespaces"] and len(parts) <= 4:
        return parsing.ParsedPath("", "v1", "namespaces", None, parts[3] if len(parts) == 4 else None)
    return _parse_path(path)


parsing.parse_path = _parse_path_with_namespaces


def quantity(value):
    """A Kubernetes quantity (``"500m"``, ``"6Gi"``, ``2``) as a Decimal."""
    text = str(value)
    for suffix in sorted(_SUFFIX, key=len, reverse=True):
        if text.endswith(suffix):
            return Decimal(text[: -len(suffix)]) * _SUFFIX[suffix]
    return Decimal(text)


def _show(value, key):
    value = value.normalize()
    if "memory" in key and value >= 2**30 and value % 2**30 == 0:
        return f"{int(value / 2**30)}Gi"
    return str(int(value)) if value == int(value) else str(value)


def pod_usage(pod):
    """What a pod counts against a quota."""
    usage = {"pods": Decimal(1)}
    for container in pod.get("spec", {}).get("containers", []):
        resources = container.get("resources") or {}
        for kind in ("limits", "requests"):
            for name, value in (resources.get(kind) or {}).items():
                key = f"{kind}.{name}"
                usage[key] = usage.get(key, Decimal(0)) + quantity(value)
        for name, value in (resources.get("limits") or {}).items():  # requests default to limits
            if name not in (resources.get("requests") or {}):
                key = f"requests.{name}"
                usage[key] = usage.get(key, Decimal(0)) + quantity(value)
    return usage


@attrs.define(kw_only=True)
class EmulatedCluster(kmock.KubernetesEmulator):
    """kmock's Kubernetes emulator with the shims above and a local pod runner."""

    workdir: Path = attrs.field(default=Path("/tmp"))
    processes: dict = attrs.field(factory=dict)  # (namespace, pod name) -> Popen
    refuse_pods: list = attrs.field(factory=list)  # extra admission: fn(pod) -> KubernetesError|None
    # RBAC, when set: (rbac.Authorizer, (namespace, ServiceAccount)) every request is made as
    authorizer: object = attrs.field(default=None)
    _authorized: set = attrs.field(factory=set)
    _version: int = attrs.field(default=0)
    _next_ip: int = attrs.field(default=2)

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        for key, (kind, namespaced) in RESOURCES.items():
            self.resources[key] = kmock.ResourceInfo(
                kind=kind, namespaced=namespaced,
                verbs={"list", "watch", "get", "create", "update", "patch", "delete"})

    async def _serve_version(self, request):
        # discovery of a group version; kmock names the core group "/v1", clients want "v1"
        payload = await super()._serve_version(request)
        payload["groupVersion"] = payload["groupVersion"].lstrip("/")
        return payload

    def _stamp(self, metadata):
        self._version += 1
        metadata["resourceVersion"] = str(self._version)

    async def _handle(self, request):
        if (request.method == kmock.method.GET and request.params.get("watch") in ("True", "1")
                and request.action != kmock.action.WATCH):
            watch = attrs.evolve(request, action=kmock.action.WATCH)
            # kmock matches reactions against its log of requests, by identity
            self._requests[:] = [watch if r is request else r for r in self._requests]
            request = watch
        self.authorize(request)
        data = request.data if isinstance(request.data, dict) else None
        if request.resource is not None and data is not None:
            meta = data.setdefault("metadata", {})
            if request.action == kmock.action.CREATE:
                if meta.get("resourceVersion"):
                    raise KubernetesError(status=500, reason="InternalError",
                                          message="resourceVersion should not be set on objects to be created")
                meta["uid"] = str(uuid.uuid4())
                meta["creationTimestamp"] = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                if request.namespace:
                    meta["namespace"] = request.namespace
                if request.resource == PODS:
                    data["status"] = {"phase": "Pending"}
                    self._admit_pod(request.namespace, data)
                self._stamp(meta)
            elif request.action == kmock.action.UPDATE:
                self._check_immutable(request, data)
                self._stamp(meta)
            elif request.method == kmock.method.PUT and request.name:
                return await self._replace(request, data)
        response = await super()._handle(request)
        if request.resource == PODS and request.action == kmock.action.CREATE:
            asyncio.get_running_loop().create_task(self._run_pod(request.namespace, data))
        elif request.resource == PODS and request.action == kmock.action.DELETE:
            await self._stop_pod(request.namespace, request.name)
        return response

    async def _replace(self, request, data):
        key = (request.resource, request.namespace, request.name)
        async with self._lock:
            if key not in self._objects or self._objects[key].deleted:
                raise KubernetesObjectNotFoundError()
            self._check_immutable(request, data)
            old = self._objects[key].raw["metadata"]
            sent = data["metadata"].get("resourceVersion")
            if sent and sent != old.get("resourceVersion"):
                raise KubernetesError(
                    status=409, reason="Conflict",
                    message=f'Operation cannot be fulfilled on {request.resource.plural} "{request.name}": '
                            "the object has been modified; please apply your changes to the latest "
                            "version and try again")
            data["metadata"].update(uid=old.get("uid"), creationTimestamp=old.get("creationTimestamp"))
            if request.namespace:
                data["metadata"]["namespace"] = request.namespace
            self._stamp(data["metadata"])
            self._objects[key].create(data)
            raw = self._objects[key].raw
            await self._buses[request.resource].put({"type": "MODIFIED", "object": raw})
        return aiohttp.web.json_response(raw)

    # -- authorization and admission ------------------------------------------------------

    def authorize(self, request):
        """RBAC, as the API server checks it before anything else: 403 Forbidden in its words.
        Bindings an allowed request makes or deletes grant or revoke at once."""
        if self.authorizer is None or id(request) in self._authorized or request.resource is None:
            return
        self._authorized.add(id(request))
        from .rbac import call_of

        authorizer, (namespace, name) = self.authorizer
        method = str(getattr(request.method, "value", request.method)).upper()
        call = call_of(method, request.url.path_qs, request.data if isinstance(request.data, dict) else None)
        _, refusal = authorizer.check((namespace, name), call)
        if refusal:
            where = f' in the namespace "{call.namespace}"' if call.namespace else " at the cluster scope"
            group = f' in API group "{call.group}"' if call.group else ' in API group ""'
            raise KubernetesError(
                status=403, reason="Forbidden",
                message=f'{call.resource} {f"{call.name!r} " if call.name else ""}is forbidden: User '
                        f'"system:serviceaccount:{namespace}:{name}" cannot {call.verb} resource '
                        f'"{call.resource}"{group}{where}',
                details={"kind": call.resource})
        authorizer.apply(call)

    def raw(self, resource, namespace, name):
        key = (resource, namespace, name)
        if key not in self._objects or self._objects[key].deleted:
            return None
        return self._objects[key].raw

    def _check_immutable(self, request, data):
        """A RoleBinding's roleRef cannot change: the apiserver answers 422 Invalid."""
        if request.resource != ROLE_BINDINGS or "roleRef" not in data:
            return
        existing = self.raw(request.resource, request.namespace, request.name)
        if existing is not None and data["roleRef"] != existing.get("roleRef"):
            ref = data["roleRef"]
            raise KubernetesError(
                status=422, reason="Invalid",
                message=f'RoleBinding.rbac.authorization.k8s.io "{request.name}" is invalid: roleRef: '
                        f'Invalid value: rbac.RoleRef{{APIGroup:"{ref.get("apiGroup", "")}", '
                        f'Kind:"{ref.get("kind", "")}", Name:"{ref.get("name", "")}"}}: cannot change roleRef',
                details={"name": request.name, "group": "rbac.authorization.k8s.io", "kind": "RoleBinding"})

    def _admit_pod_security(self, namespace, pod):
        """Pod Security admission: the namespace's enforced level (none: privileged)."""
        labels = ((self.raw(NAMESPACES, None, namespace) or {}).get("metadata") or {}).get("labels") or {}
        level = labels.get("pod-security.kubernetes.io/enforce", "privileged")
        if level == "privileged":
            return
        found = violations(pod, level)
        if found:
            version = labels.get("pod-security.kubernetes.io/enforce-version", "latest")
            name = pod["metadata"].get("name")
            raise KubernetesError(
                status=403, reason="Forbidden",
                message=f'pods "{name}" is forbidden: violates PodSecurity "{level}:{version}": '
                        + ", ".join(found),
                details={"name": name, "kind": "pods"})

    def live(self, resource, namespace=None):
        return [obj.raw for (res, ns, _), obj in list(self._objects.items())
                if res == resource and not obj.deleted and (namespace is None or ns == namespace)]

    def _admit_pod(self, namespace, pod):
        for check in self.refuse_pods:
            error = check(pod)
            if error:
                raise error
        self._admit_pod_security(namespace, pod)
        requested = pod_usage(pod)
        used = {}
        for other in self.live(PODS, namespace):
            for key, value in pod_usage(other).items():
                used[key] = used.get(key, Decimal(0)) + value
        for quota in self.live(QUOTAS, namespace):
            hard = {k: quantity(v) for k, v in (quota.get("spec", {}).get("hard") or {}).items()}
            over = [k for k in hard if k in requested
                    and used.get(k, Decimal(0)) + requested[k] > hard[k]]
            if over:
                def pairs(values, over=over):
                    return ",".join(f"{k}={_show(values.get(k, Decimal(0)), k)}" for k in over)
                name = pod["metadata"].get("name")
                raise KubernetesError(
                    status=403, reason="Forbidden",
                    message=f'pods "{name}" is forbidden: exceeded quota: {quota["metadata"]["name"]}, '
                            f"requested: {pairs(requested)}, used: {pairs(used)}, "
                            f"limited: {pairs(hard)}",
                    details={"name": name, "kind": "pods"})

    # -- the kubelet: pods as local processes ---------------------------------------------

    def secret_value(self, namespace, ref):
        key = (SECRETS, namespace, ref["name"])
        if key not in self._objects or self._objects[key].deleted:
            raise KeyError(f"secret {namespace}/{ref['name']} not found")
        data = self._objects[key].raw.get("data") or {}
        return base64.b64decode(data[ref["key"]]).decode()

    def _pod_ip(self, port):
        for _ in range(250):
            ip = f"127.0.0.{self._next_ip}"
            self._next_ip = self._next_ip % 250 + 2
            with socket.socket() as s:
                try:
                    s.bind((ip, port))
                    return ip
                except OSError:
                    continue
        raise RuntimeError(f"no free loopback address for port {port}")

    async def _run_pod(self, namespace, pod):
        name = pod["metadata"]["name"]
        container = pod["spec"]["containers"][0]
        port = next(p["containerPort"] for p in container.get("ports", []))
        home = self.workdir / namespace / name
        home.mkdir(parents=True, exist_ok=True)
        env = {"PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
               "HOME": str(home), "LANG": "C.UTF-8"}
        for item in container.get("env", []):
            if "valueFrom" in item:
                env[item["name"]] = self.secret_value(namespace, item["valueFrom"]["secretKeyRef"])
            else:
                env[item["name"]] = item.get("value", "")
        ip = self._pod_ip(port)
        service = env.get("JUPYTERHUB_SERVICE_URL", "")
        if service:
            scheme, rest = service.split("://", 1)
            env["JUPYTERHUB_SERVICE_URL"] = f"{scheme}://{ip}:{port}/{rest.split('/', 1)[1] if '/' in rest else ''}"
        argv = [*(container.get("command") or []), *(container.get("args") or [])]
        argv[0] = shutil.which(argv[0], path=env["PATH"]) or argv[0]
        if os.geteuid() == 0:
            argv.append("--allow-root")
        proc = await asyncio.get_running_loop().run_in_executor(None, start_process, argv, env, home)
        self.processes[(namespace, name)] = proc
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        status = {"phase": "Running", "podIP": ip, "hostIP": "127.0.0.1", "startTime": now,
                  "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}],
                  "containerStatuses": [{"name": container["name"], "ready": True, "restartCount": 0,
                                         "image": container["image"], "imageID": "", "started": True,
                                         "state": {"running": {"startedAt": now}}}]}
        key = (PODS, namespace, name)
        async with self._lock:
            if key in self._objects and not self._objects[key].deleted:
                meta = {}
                self._stamp(meta)
                self._objects[key].patch({"status": status, "metadata": meta})
                await self._buses[PODS].put({"type": "MODIFIED", "object": self._objects[key].raw})

    async def _stop_pod(self, namespace, name):
        proc = self.processes.pop((namespace, name), None)
        if proc is not None:
            await asyncio.get_running_loop().run_in_executor(None, stop_process, proc)

    def stop_all(self):
        for key in list(self.processes):
            stop_process(self.processes.pop(key))


def start_process(argv, env, home):
    """The container's process, logging to ``pod.log`` in its home."""
    with open(home / "pod.log", "wb") as log:
        return subprocess.Popen(argv, env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def stop_process(proc, timeout=10):
    """SIGTERM the process by PID, SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class ClusterThread:
    """The emulated API server on 127.0.0.1, served by its own event loop in a thread.

    ``ssl_context`` (a server-side ``ssl.SSLContext``): serve HTTPS, as in-cluster clients
    require (``load_incluster_config`` builds an ``https://`` address)."""

    def __init__(self, workdir, cluster_class=EmulatedCluster, ssl_context=None):
        self.workdir = Path(workdir)
        self.cluster_class = cluster_class
        self.ssl_context = ssl_context
        self.loop = asyncio.new_event_loop()
        self.cluster = None
        self.url = None
        self._ready = threading.Event()
        self._stop = None
        self.thread = threading.Thread(target=self._main, daemon=True)

    def _main(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self):
        self._stop = asyncio.Event()
        context = self.ssl_context

        class Listener(aiohttp.test_utils.RawTestServer):  # kmock's, with TLS when asked
            async def start_server(self, loop=None, **kwargs):
                await super().start_server(loop=loop, ssl=context, **kwargs)

        async with (self.cluster_class(workdir=self.workdir) as cluster,
                    kmock.Server(cluster, server_cls=Listener) as server):
            self.cluster = cluster
            self.url = str(server.url).rstrip("/")
            self._ready.set()
            await self._stop.wait()
            cluster.stop_all()

    def start(self):
        self.thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the emulated API server did not start")
        return self

    def call(self, fn, *args):
        """Run ``fn(*args)`` (a coroutine function or a plain one) in the server's loop."""
        async def run():
            result = fn(*args)
            return await result if asyncio.iscoroutine(result) else result
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(60)

    def objects(self, resource, namespace=None):
        return self.call(self.cluster.live, kmock.resource(resource), namespace)

    def kubeconfig(self, path):
        Path(path).write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "emulated",
            "clusters": [{"name": "emulated", "cluster": {"server": self.url}}],
            "users": [{"name": "hub", "user": {"token": "emulated"}}],
            "contexts": [{"name": "emulated", "context": {"cluster": "emulated", "user": "hub"}}]}))
        return path

    def stop(self):
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(30)
