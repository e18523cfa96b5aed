"""Companion services on Kubernetes: pure functions from a catalog entry and a launch to
the manifests of its objects, without a client or a server, as :mod:`jupyterhub_datalab.kubernetes`
does for namespaces and servers.

A companion (PostgreSQL, MLflow...) is four objects in its namespace, all named after
it: a Secret (generated passwords, and every variable whose value holds one), a
PersistentVolumeClaim ``<name>-data`` when the entry keeps data, a ClusterIP Service
and a Deployment of one pod (``Recreate``: the disk is ReadWriteOnce). Each carries
the companion's labels, and the Deployment its record (JSON, no secrets) so that the
companions can be found again from the cluster alone.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field

from .catalog import fill_service
from .kubernetes import (
    _ENV_KEY,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    OWNER_LABEL,
    env_secret_manifest,
    is_sensitive,
    managed,
    members_peer,
    restricted_security_context,
)
from .names import kubespawner_slug, user_namespace

NAME_LABEL = "datalab.io/name"
ENTRY_LABEL = "datalab.io/entry"
PROJECT_LABEL = "datalab.io/project"
SHARED_LABEL = "datalab.io/shared"
RECORD_ANNOTATION = "datalab.io/companion"
LAUNCHED_ANNOTATION = "datalab.io/launched"
COMPANION_CONTAINER = "main"
COMPANION_PORT_NAME = "service"
# Secret keys besides the generated secrets (whose names never hold a dot)
SECRET_ENV_PREFIX, SECRET_ARG_PREFIX, CONNECTION_KEY = "env.", "arg.", "connection.json"
_SECRET_PLACEHOLDER = re.compile(r"\{(secret|credential)\.")
_OBJECT_NAME_MAX = 50  # room for "-data", "-secrets" and the pods' suffixes


def companion_object_name(owner, name, namespace, own_namespace=None):
    """What a companion's objects are called: its name in its owner's namespace, else
    ``<name>-<owner>`` (several owners share a project's namespace). DNS-1035, at most
    50 characters (a hash keeps long ones apart)."""
    own_namespace = own_namespace or user_namespace(owner)
    base = name if namespace == own_namespace else f"{name}-{owner}"
    base = re.sub(r"[^a-z0-9-]+", "-", base.lower()).strip("-")
    if not base[:1].isalpha():
        base = f"c-{base}"
    if len(base) > _OBJECT_NAME_MAX:
        digest = hashlib.sha256(base.encode()).hexdigest()[:8]
        base = f"{base[:_OBJECT_NAME_MAX - 9].rstrip('-')}-{digest}"
    return base


def companion_secret_name(object_name):
    return f"{object_name}-secrets"


def companion_pvc_name(object_name):
    return f"{object_name}-data"


def companion_selector(owner, name):
    """The labels that pick a companion's pods (a Deployment's selector never changes)."""
    return {MANAGED_BY_LABEL: MANAGED_BY, OWNER_LABEL: owner, NAME_LABEL: name}


def companion_labels(owner, name, entry, project=None, shared=False, extra=None):
    labels = {**(extra or {}), **companion_selector(owner, name), ENTRY_LABEL: entry,
              SHARED_LABEL: "true" if shared else "false"}
    if project:
        labels[PROJECT_LABEL] = project
    return labels


def companion_label_selector(owner=None, name=None):
    """A ``labelSelector`` string: every companion, an owner's, or one."""
    parts = [f"{MANAGED_BY_LABEL}={MANAGED_BY}", ENTRY_LABEL]
    if owner:
        parts.append(f"{OWNER_LABEL}={owner}")
    if name:
        parts.append(f"{NAME_LABEL}={name}")
    return ",".join(parts)


def _gib_quantity(gib):
    mib = round(float(gib) * 1024)
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"


def _cpu_quantity(cores):
    milli = max(1, round(float(cores) * 1000))
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def companion_resources(cpu, memory, cpu_ratio=0.25, memory_ratio=0.5):
    """Limits (what the user chose: cores, GiB) and requests (a share of them), counted
    against the namespace's ResourceQuota."""
    return {"limits": {"cpu": _cpu_quantity(cpu), "memory": _gib_quantity(memory)},
            "requests": {"cpu": _cpu_quantity(float(cpu) * cpu_ratio),
                         "memory": _gib_quantity(float(memory) * memory_ratio)}}


def companion_secret_manifest(namespace, object_name, values, labels=None, annotations=None):
    """The companion's Secret: ``values`` are its generated secrets by name, plus
    ``env.<VAR>``/``arg.<i>`` (filled values that hold a secret) and ``connection.json``."""
    return env_secret_manifest(namespace, companion_secret_name(object_name), values, labels,
                               annotations)


def companion_pvc_manifest(namespace, object_name, disk_gib, labels=None, annotations=None,
                           storage_class=None, access_modes=("ReadWriteOnce",)):
    spec = {"accessModes": list(access_modes),
            "resources": {"requests": {"storage": f"{int(disk_gib)}Gi"}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": companion_pvc_name(object_name), "namespace": namespace,
                         **managed(labels, annotations)},
            "spec": spec}


def companion_service_manifest(namespace, object_name, port, selector, labels=None, annotations=None):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": object_name, "namespace": namespace, **managed(labels, annotations)},
            "spec": {"type": "ClusterIP", "selector": dict(selector),
                     "ports": [{"name": COMPANION_PORT_NAME, "protocol": "TCP", "port": int(port),
                                "targetPort": COMPANION_PORT_NAME}]}}


def companion_members_policy_name(object_name):
    return f"{object_name}-members"


def companion_members_policy_manifest(namespace, object_name, selector, project, labels=None):
    """Lets the members of ``project`` reach a companion shared with it that runs in its
    owner's namespace (it was launched before being shared: its data is there), whose
    own policy admits only that namespace and the hub's. Only its pods, only members.
    A companion launched shared runs in the project's namespace, which admits them."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": companion_members_policy_name(object_name), "namespace": namespace,
                         **managed(labels)},
            "spec": {"podSelector": {"matchLabels": dict(selector)}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [members_peer(project)]}]}}


def companion_probe(ready, port_name=COMPANION_PORT_NAME, prefix=""):
    """The readiness probe of an entry's ``service.ready``: tcp, or http under the prefix."""
    ready = ready or {"tcp": True}
    if ready.get("http"):
        action = {"httpGet": {"path": prefix.rstrip("/") + ready["http"], "port": port_name}}
    else:
        action = {"tcpSocket": {"port": port_name}}
    return {**action, "initialDelaySeconds": 2, "periodSeconds": 5, "timeoutSeconds": 3,
            "failureThreshold": 3, "successThreshold": 1}


def companion_deployment_manifest(namespace, object_name, *, selector, labels, annotations,
                                  pod_annotations=None, container, volumes=(), security_context=None,
                                  replicas=1, node_selector=None, tolerations=None):
    pod_spec = {"containers": [container], "restartPolicy": "Always",
                "automountServiceAccountToken": False, "enableServiceLinks": False,
                "terminationGracePeriodSeconds": 30}
    if volumes:
        pod_spec["volumes"] = list(volumes)
    if security_context:
        pod_spec["securityContext"] = security_context
    if node_selector:
        pod_spec["nodeSelector"] = dict(node_selector)
    if tolerations:
        pod_spec["tolerations"] = list(tolerations)
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": object_name, "namespace": namespace, **managed(labels, annotations)},
            "spec": {"replicas": int(replicas), "revisionHistoryLimit": 2,
                     "strategy": {"type": "Recreate"},
                     "selector": {"matchLabels": dict(selector)},
                     "template": {"metadata": {"labels": dict(labels),
                                               **({"annotations": dict(pod_annotations)}
                                                  if pod_annotations else {})},
                                  "spec": pod_spec}}}


@dataclass(frozen=True)
class CompanionSettings:
    """The admin's settings that shape every companion's objects (see KubernetesBackend)."""

    storage_class: str = ""
    default_cpu: float = 0.5
    default_memory: float = 1.0
    cpu_guarantee_ratio: float = 0.25
    mem_guarantee_ratio: float = 0.5
    image_pull_policy: str = "IfNotPresent"
    cluster_domain: str = "cluster.local"
    workspace_volume: dict = field(default_factory=dict)  # a volume source, {owner} filled
    workspace_path: str = "/home/jovyan/work"
    node_selector: dict = field(default_factory=dict)
    tolerations: tuple = ()
    labels: dict = field(default_factory=dict)


def _no_expansion(value):
    """Escape what the kubelet would expand in ``args`` and ``env``: ``$(VAR)`` and ``$$``."""
    return re.sub(r"\$(?=[$(])", "$$", value)


def _fill_templates(value, values, what):
    """Fill a value's ``{...}`` placeholders; a missing one is a ValueError naming it."""
    try:
        return fill_service(value, values)
    except KeyError as e:
        raise ValueError(f"{what}: no value for {{{e.args[0]}}}") from None


def companion_manifests(plan, *, namespace, object_name=None, record=None, launched=None,
                        settings=CompanionSettings(), replicas=1):
    """Every object of one companion, in creation order, and its connection variables.

    ``plan``: its launch plan (``companions.plan.LaunchPlan``: the entry's ``service`` and
    ``kubernetes`` sections, options, generated secrets, the owner's credentials for
    ``{credential.X}`` and injected secrets, resources, UI prefix); ``object_name``: what
    its objects are called (``companion_object_name``); ``record``: the companion's JSON
    (no secrets) for discovery.
    A value holding a secret or a credential never goes into the Deployment: it is put
    into the Secret and read with ``secretKeyRef``, and a command-line argument that
    holds one becomes ``$(DATALAB_ARG_<i>)``, which the kubelet expands from such a
    variable; injected secrets are always read from the Secret. Returns ``(manifests,
    connection)``. Raises ValueError for an entry whose placeholders cannot be filled.
    """
    entry, owner, name, prefix = plan.entry, plan.owner, plan.name, plan.prefix
    service, kube = entry.service or {}, entry.kubernetes or {}
    object_name = object_name or companion_object_name(owner, name, namespace)
    host = f"{object_name}.{namespace}.svc.{settings.cluster_domain}"
    service_port = int(service.get("port") or kube.get("port"))
    container_port = int(kube.get("port") or service_port)
    data_path = service.get("data_path")
    workspace = settings.workspace_path
    common = {"host": host, "namespace": namespace, "data": data_path or "/tmp/data", "run": "/tmp",
              "workspace": workspace}
    inside = plan.values(port=container_port, **common)
    outside = plan.values(port=service_port, **common)
    labels = companion_labels(owner, name, entry.id, plan.project, plan.shared, settings.labels)
    selector = companion_selector(owner, name)
    annotations = {}
    if record is not None:
        annotations[RECORD_ANNOTATION] = record if isinstance(record, str) else json.dumps(
            record, sort_keys=True, separators=(",", ":"))
    if launched is not None:
        annotations[LAUNCHED_ANNOTATION] = str(launched)
    secret_name = companion_secret_name(object_name)

    secret_values = {k: str(v) for k, v in (plan.secrets or {}).items()}
    env = []
    # the entry's variables, then those the user's options set (``sets: env:X``), as locally
    chosen = {var: (_fill_templates(str(template), inside, f"kubernetes.env.{var}"),
                    bool(_SECRET_PLACEHOLDER.search(str(template))))
              for var, template in (kube.get("env") or {}).items()}
    chosen.update({var: (str(value), False) for var, value in plan.env.items() if _ENV_KEY.match(var)})
    for var, (value, secret) in chosen.items():
        if secret or is_sensitive(var):
            secret_values[SECRET_ENV_PREFIX + var] = value
            env.append({"name": var, "valueFrom": {"secretKeyRef": {
                "name": secret_name, "key": SECRET_ENV_PREFIX + var}}})
        else:
            env.append({"name": var, "value": _no_expansion(value)})
    named = {e["name"] for e in env}
    for var, value in sorted((plan.secret_env or {}).items()):
        if var in named or not _ENV_KEY.match(var):
            continue  # the entry's own variables win; odd names are not variables
        secret_values[SECRET_ENV_PREFIX + var] = str(value)
        env.append({"name": var, "valueFrom": {"secretKeyRef": {
            "name": secret_name, "key": SECRET_ENV_PREFIX + var}}})
    argv = []
    for i, template in enumerate([*(kube.get("cmd") or []), *(kube.get("args") or [])]):
        value = _fill_templates(str(template), inside, f"kubernetes.cmd[{i}]")
        if _SECRET_PLACEHOLDER.search(str(template)):
            secret_values[f"{SECRET_ARG_PREFIX}{i}"] = value
            env.append({"name": f"DATALAB_ARG_{i}", "valueFrom": {"secretKeyRef": {
                "name": secret_name, "key": f"{SECRET_ARG_PREFIX}{i}"}}})
            value = f"$(DATALAB_ARG_{i})"
        else:
            value = _no_expansion(value)
        argv.append(value)
    connection = plan.connection(outside)
    secret_values[CONNECTION_KEY] = json.dumps(connection, sort_keys=True)

    container = {"name": COMPANION_CONTAINER, "image": plan.image,
                 "imagePullPolicy": settings.image_pull_policy,
                 "ports": [{"name": COMPANION_PORT_NAME, "containerPort": container_port,
                            "protocol": "TCP"}],
                 "env": env,
                 "resources": companion_resources(plan.cpu or settings.default_cpu,
                                                  plan.memory or settings.default_memory,
                                                  settings.cpu_guarantee_ratio,
                                                  settings.mem_guarantee_ratio),
                 "readinessProbe": companion_probe(service.get("ready"), prefix=prefix),
                 "securityContext": restricted_security_context()}
    if argv:
        container["args"] = argv  # as for environments: the image's entrypoint is kept
    if kube.get("working_dir"):
        container["workingDir"] = kube["working_dir"]
    volumes, mounts = [], []
    manifests = [companion_secret_manifest(namespace, object_name, secret_values, labels)]
    if data_path:
        if plan.disk and int(plan.disk) > 0:
            manifests.append(companion_pvc_manifest(namespace, object_name, plan.disk, labels,
                                                    storage_class=settings.storage_class or None))
            volumes.append({"name": "data", "persistentVolumeClaim": {
                "claimName": companion_pvc_name(object_name)}})
        else:  # no disk asked: the data lives as long as the pod
            volumes.append({"name": "data", "emptyDir": {}})
        mounts.append({"name": "data", "mountPath": data_path})
    if service.get("workspace_paths") and settings.workspace_volume:
        source = json.loads(json.dumps(settings.workspace_volume).replace("{owner}", owner)
                            .replace("{username}", kubespawner_slug(owner)))
        volumes.append({"name": "workspace", **source})
        mounts.append({"name": "workspace", "mountPath": workspace, "readOnly": True})
    if mounts:
        container["volumeMounts"] = mounts
    security = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    if kube.get("uid") is not None:
        security["runAsUser"] = int(kube["uid"])
    if kube.get("gid") is not None:
        security["runAsGroup"] = int(kube["gid"])
    if kube.get("fs_gid") is not None:
        security["fsGroup"] = int(kube["fs_gid"])
    manifests.append(companion_service_manifest(namespace, object_name, service_port, selector,
                                                labels))
    manifests.append(companion_deployment_manifest(
        namespace, object_name, selector=selector, labels=labels, annotations=annotations,
        container=container, volumes=volumes, security_context=security, replicas=replicas,
        node_selector=settings.node_selector, tolerations=settings.tolerations))
    return manifests, connection
