"""Kubernetes manifests of the datalab: pure functions from names and settings to dicts.

Everything the Kubernetes spawner and the companions' ``KubernetesBackend`` write to a
cluster is built here, without a client or a server, so each object can be read,
tested and schema-validated on its own (``kubernetes-validate --strict``).

Every user has a namespace ``user-<name>``, every project ``project-<group>``
(names already normalised by :mod:`jupyterhub_datalab.names`). Each holds:

- a ServiceAccount ``datalab`` that the user's pods run as;
- RoleBindings giving that account (and, in a project, each member's account) the
  admin's cluster role there, so the lab can launch companions in its own space;
- a ResourceQuota and a LimitRange: what the whole namespace may use, and the
  defaults and bounds of each container;
- a NetworkPolicy letting traffic in only from the hub's namespace (hub and proxy)
  and from the namespace itself.

Ownership convention: the datalab labels what it creates
``app.kubernetes.io/managed-by: jupyterhub-datalab`` and keeps those objects in line
with its settings. An object annotated ``datalab.io/managed-by: hand`` (or one the
datalab did not create) is never changed: that is how an admin takes an object over,
e.g. a larger quota for one project.

Secrets never go into a pod spec in clear: the sensitive variables of a server go
into a per-server Secret, and the pod refers to them with ``secretKeyRef``.
"""

import base64
import fnmatch
import hashlib
import json
import re
from dataclasses import dataclass, field

from .catalog import fill_service, service_values
from .names import is_platform_name, normalize_name

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "jupyterhub-datalab"
HAND_ANNOTATION = "datalab.io/managed-by"
HAND = "hand"
OWNER_KIND_LABEL = "datalab.io/owner-kind"
OWNER_LABEL = "datalab.io/owner"
SERVICE_ACCOUNT = "datalab"
QUOTA_NAME = "datalab-quota"
LIMIT_RANGE_NAME = "datalab-limits"
NETWORK_POLICY_NAME = "datalab-ingress"
ROLE_BINDING_NAME = "datalab-edit"

# variables that always go into the server's Secret, whatever their value
SENSITIVE_ENV = ("JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN", "AWS_ACCESS_KEY_ID",
                 "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "VAULT_TOKEN")
SENSITIVE_PATTERNS = ("*_TOKEN", "*_SECRET", "*_SECRET_*", "*_PASSWORD", "*_SECRET_ACCESS_KEY")
_ENV_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def platform_name(name):
    """A hub username or project as the platform already has it (``normalize_name``'s
    output, hashed or not), else normalised. Normalising twice would hash a hashed name
    again: ``jean-dupont--c6314bcbcd`` became ``jean-dupont-c6314bcbcd--aeaf18ecb6``."""
    return name if is_platform_name(name) else normalize_name(name)


def user_namespace(username):
    """``alice`` -> ``user-alice``."""
    return f"user-{platform_name(username)}"


def project_namespace(project):
    """``stats-2024`` -> ``project-stats-2024``."""
    return f"project-{platform_name(project)}"


def managed(labels=None, annotations=None, owner_kind=None, owner=None):
    """The metadata labels/annotations of an object the datalab manages."""
    labels = {MANAGED_BY_LABEL: MANAGED_BY, **(labels or {})}
    if owner_kind:
        labels[OWNER_KIND_LABEL] = owner_kind
    if owner:
        labels[OWNER_LABEL] = owner
    return {"labels": labels, **({"annotations": dict(annotations)} if annotations else {})}


def is_hand_managed(obj):
    """True when an admin took the object over: annotation (or label) ``datalab.io/managed-by: hand``."""
    meta = (obj or {}).get("metadata") or {}
    return HAND in ((meta.get("annotations") or {}).get(HAND_ANNOTATION),
                    (meta.get("labels") or {}).get(HAND_ANNOTATION))


def may_update(obj):
    """Whether the datalab may bring an existing object in line: it made it and nobody took it over."""
    labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
    return labels.get(MANAGED_BY_LABEL) == MANAGED_BY and not is_hand_managed(obj)


POD_SECURITY_LEVELS = ("restricted", "baseline", "privileged")
# the cloud provider's metadata endpoint: node credentials on most clouds
CLOUD_METADATA = "169.254.169.254/32"


def pod_security_labels(level):
    """Pod Security admission labels: ``level`` enforced, and warned and audited too.

    Without them a namespace gets the cluster's default (``privileged`` on most), and a
    notebook holding the namespace's ``edit`` role can create privileged or hostPath pods:
    root on the node."""
    if level not in POD_SECURITY_LEVELS:
        raise ValueError(f"Pod Security level {level!r}: one of {', '.join(POD_SECURITY_LEVELS)}")
    return {f"pod-security.kubernetes.io/{mode}": level for mode in ("enforce", "warn", "audit")}


def restricted_security_context(uid=None, gid=None):
    """A container's securityContext that passes the Pod Security ``restricted`` level."""
    context = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
               "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    if uid is not None:
        context["runAsUser"] = int(uid)
    if gid is not None:
        context["runAsGroup"] = int(gid)
    return context


def namespace_manifest(name, owner_kind, owner, labels=None, annotations=None, pod_security="restricted"):
    labels = {**pod_security_labels(pod_security), **(labels or {})}
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, **managed(labels, annotations, owner_kind, owner)}}


def service_account_manifest(namespace, name=SERVICE_ACCOUNT, automount=True):
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": namespace, **managed()},
            "automountServiceAccountToken": bool(automount)}


def role_binding_manifest(namespace, name, cluster_role, accounts):
    """Give ``cluster_role`` in ``namespace`` to ServiceAccounts ``[(namespace, name), ...]``."""
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": namespace, **managed()},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": cluster_role},
            "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}
                         for ns, sa in accounts]}


def member_binding_name(username):
    """The RoleBinding giving one member's account the project's role."""
    return f"member-{platform_name(username)}"


def resource_quota_manifest(namespace, hard, name=QUOTA_NAME):
    return {"apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": {"name": name, "namespace": namespace, **managed()},
            "spec": {"hard": {k: str(v) for k, v in hard.items()}}}


def limit_range_manifest(namespace, limits, name=LIMIT_RANGE_NAME):
    """``limits``: ``{"default": {...}, "defaultRequest": {...}, "max": {...}, "min": {...},
    "maxLimitRequestRatio": {...}}`` (each one the chart's schema accepts is applied)."""
    item = {"type": "Container"}
    for key in ("default", "defaultRequest", "max", "min", "maxLimitRequestRatio"):
        if limits.get(key):
            item[key] = {k: str(v) for k, v in limits[key].items()}
    return {"apiVersion": "v1", "kind": "LimitRange",
            "metadata": {"name": name, "namespace": namespace, **managed()},
            "spec": {"limits": [item]}}


def network_policy_manifest(namespace, hub_namespace, name=NETWORK_POLICY_NAME):
    """Ingress only from the hub's namespace (hub, proxy) and from the namespace itself;
    egress anywhere but the cloud's metadata endpoint.

    The metadata block is a policy rule, not Zero to JupyterHub's privileged iptables init
    container (``singleuser.cloudMetadata.blockWithIptables``), which Pod Security
    ``baseline`` and ``restricted`` refuse. Pods of the cluster are allowed by selector:
    CNIs such as Cilium do not match pod addresses with ``ipBlock`` rules."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace, **managed()},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                     "ingress": [{"from": [
                         {"namespaceSelector": {"matchLabels": {
                             "kubernetes.io/metadata.name": hub_namespace}}},
                         {"podSelector": {}},
                     ]}],
                     "egress": [
                         {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [CLOUD_METADATA]}}]},
                         {"to": [{"namespaceSelector": {}}]},
                     ]}}


def namespace_objects(namespace, *, owner_kind, owner, hub_namespace, cluster_role, quota,
                      limits, accounts, automount=True, labels=None, annotations=None,
                      pod_security="restricted"):
    """The namespace and the 5 objects in it, in creation order.

    ``accounts``: who gets ``cluster_role`` there, as ``{binding name: [(ns, sa), ...]}``.
    """
    objects = [namespace_manifest(namespace, owner_kind, owner, labels, annotations, pod_security),
               service_account_manifest(namespace, automount=automount)]
    for name, subjects in accounts.items():
        objects.append(role_binding_manifest(namespace, name, cluster_role, subjects))
    objects += [resource_quota_manifest(namespace, quota),
                limit_range_manifest(namespace, limits),
                network_policy_manifest(namespace, hub_namespace)]
    return objects


# -- a server's secret variables ------------------------------------------------------


def is_sensitive(name, extra=(), patterns=SENSITIVE_PATTERNS):
    return (name in SENSITIVE_ENV or name in extra
            or any(fnmatch.fnmatchcase(name, p) for p in patterns))


def split_env(env, extra=(), patterns=SENSITIVE_PATTERNS):
    """(plain, secret) variables: the secret ones are those named sensitive, those listed in
    ``DATALAB_INJECTED_KEYS`` (the user's injected secrets) and ``extra`` (e.g. every
    credential variable)."""
    injected = {k for k in str(env.get("DATALAB_INJECTED_KEYS") or "").split(",") if k}
    extra = set(extra) | injected
    plain, secret = {}, {}
    for name, value in env.items():
        if isinstance(value, str) and _ENV_KEY.match(name) and is_sensitive(name, extra, patterns):
            secret[name] = value
        else:
            plain[name] = value
    return plain, secret


def env_secret_name(pod_name):
    return f"{pod_name}-env"


def env_secret_manifest(namespace, name, values, labels=None, annotations=None):
    data = {k: base64.b64encode(v.encode()).decode() for k, v in sorted(values.items())}
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace, **managed(labels, annotations)},
            "data": data}


def secret_env_refs(secret_name, names):
    """Environment entries (KubeSpawner's dict form) reading each variable from the Secret."""
    return {n: {"name": n, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": n}}}
            for n in names}


# -- the cluster's refusals, in words -----------------------------------------------------

_QUOTA = re.compile(r"exceeded quota: (?P<quota>[^,]+), requested: (?P<requested>\S+), "
                    r"used: (?P<used>\S+), limited: (?P<limited>\S+)")


def _pairs(text):
    return dict(p.split("=", 1) for p in text.split(",") if "=" in p)


def explain_refusal(status, message, what=("server", "serveur")):
    """(en, fr) for the API server refusing to create an object, in words a person acts on.

    ``what``: the object in both languages, e.g. ``("disk", "disque")``.
    """
    message = (message or "").strip()
    what, quoi = what
    match = _QUOTA.search(message)
    if status == 403 and match:
        requested, used, limited = (_pairs(match.group(k)) for k in ("requested", "used", "limited"))
        parts = [f"{k}: requested {v}, already used {used.get(k, '0')}, limit {limited.get(k, '?')}"
                 for k, v in requested.items()]
        parts_fr = [f"{k} : demandé {v}, déjà utilisé {used.get(k, '0')}, limite {limited.get(k, '?')}"
                    for k, v in requested.items()]
        en = f"Your namespace's quota is used up: {'; '.join(parts)}. Stop another server or ask for more."
        fr = (f"Le quota de votre espace est épuisé : {'; '.join(parts_fr)}. "
              "Arrêtez un autre serveur ou demandez-en plus.")
    elif status == 403 and "quota" in message:
        en = (f"Your namespace's quota does not allow this {what}: {message}. "
              "Stop another server or ask for more.")
        fr = (f"Le quota de votre espace ne permet pas ce {quoi} : {message}. "
              "Arrêtez un autre serveur ou demandez-en plus.")
    elif status == 403:
        en = (f"The cluster refused to create your {what} (permission denied): {message}. "
              "Ask your administrator.")
        fr = (f"Le cluster a refusé de créer votre {quoi} (permission refusée) : {message}. "
              "Contactez votre administrateur.")
    elif status == 422:
        en = (f"The cluster found your {what} invalid: {message}. "
              "Try other options or ask your administrator.")
        fr = (f"Le cluster juge votre {quoi} invalide : {message}. "
              "Essayez d'autres options ou contactez votre administrateur.")
    else:
        en = f"The cluster could not create your {what} (error {status}): {message}"
        fr = f"Le cluster n'a pas pu créer votre {quoi} (erreur {status}) : {message}"
    return en, fr


# -- companion services -------------------------------------------------------------------
#
# A companion (PostgreSQL, MLflow...) is four objects in its namespace, all named after
# it: a Secret (generated passwords, and every variable whose value holds one), a
# PersistentVolumeClaim ``<name>-data`` when the entry keeps data, a ClusterIP Service
# and a Deployment of one pod (``Recreate``: the disk is ReadWriteOnce). Each carries
# the companion's labels, and the Deployment its record (JSON, no secrets) so that the
# companions can be found again from the cluster alone.

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


def companion_manifests(entry, *, owner, name, namespace, version, options, secrets,
                        credentials=None, cpu=None, memory=None, disk=None, prefix="",
                        project=None, shared=False, record=None, launched=None,
                        settings=CompanionSettings(), replicas=1, secret_env=None):
    """Every object of one companion, in creation order, and its connection variables.

    ``entry``: the catalog entry (its ``service`` and ``kubernetes`` sections); ``secrets``:
    the generated ones by name; ``credentials``: the owner's variables for
    ``{credential.X}``; ``record``: the companion's JSON (no secrets) for discovery;
    ``secret_env``: the owner's injected secrets, always read from the Secret.
    A value holding a secret or a credential never goes into the Deployment: it is put
    into the Secret and read with ``secretKeyRef``, and a command-line argument that
    holds one becomes ``$(DATALAB_ARG_<i>)``, which the kubelet expands from such a
    variable. Returns ``(manifests, connection)``. Raises ValueError for an entry
    whose placeholders cannot be filled.
    """
    service, kube = entry.service or {}, entry.kubernetes or {}
    object_name = companion_object_name(owner, name, namespace)
    host = f"{object_name}.{namespace}.svc.{settings.cluster_domain}"
    service_port = int(service.get("port") or kube.get("port"))
    container_port = int(kube.get("port") or service_port)
    data_path = service.get("data_path")
    workspace = settings.workspace_path
    common = {"prefix": prefix, "owner": owner, "name": name, "namespace": namespace,
                  "data": data_path or "/tmp/data", "run": "/tmp", "workspace": workspace}
    inside = service_values(options, secrets, credentials, host=host, port=container_port, **common)
    outside = service_values(options, secrets, credentials, host=host, port=service_port, **common)
    labels = companion_labels(owner, name, entry.id, project, shared, settings.labels)
    selector = companion_selector(owner, name)
    annotations = {}
    if record is not None:
        annotations[RECORD_ANNOTATION] = record if isinstance(record, str) else json.dumps(
            record, sort_keys=True, separators=(",", ":"))
    if launched is not None:
        annotations[LAUNCHED_ANNOTATION] = str(launched)
    secret_name = companion_secret_name(object_name)

    secret_values = {k: str(v) for k, v in (secrets or {}).items()}
    env = []
    for var, template in (kube.get("env") or {}).items():
        value = _fill_templates(str(template), inside, f"kubernetes.env.{var}")
        if _SECRET_PLACEHOLDER.search(str(template)) or is_sensitive(var):
            secret_values[SECRET_ENV_PREFIX + var] = value
            env.append({"name": var, "valueFrom": {"secretKeyRef": {
                "name": secret_name, "key": SECRET_ENV_PREFIX + var}}})
        else:
            env.append({"name": var, "value": _no_expansion(value)})
    named = {e["name"] for e in env}
    for var, value in sorted((secret_env or {}).items()):
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
    connection = {}
    for var, template in (service.get("connection") or {}).items():
        try:
            value = _fill_templates(str(template), outside, var)
        except ValueError:  # e.g. no S3 endpoint given: leave it out
            continue
        if value:
            connection[var] = value
    secret_values[CONNECTION_KEY] = json.dumps(connection, sort_keys=True)

    container = {"name": COMPANION_CONTAINER, "image": entry.image_ref(version),
                 "imagePullPolicy": settings.image_pull_policy,
                 "ports": [{"name": COMPANION_PORT_NAME, "containerPort": container_port,
                            "protocol": "TCP"}],
                 "env": env,
                 "resources": companion_resources(cpu or settings.default_cpu,
                                                  memory or settings.default_memory,
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
        if disk and int(disk) > 0:
            manifests.append(companion_pvc_manifest(namespace, object_name, disk, labels,
                                                    storage_class=settings.storage_class or None))
            volumes.append({"name": "data", "persistentVolumeClaim": {
                "claimName": companion_pvc_name(object_name)}})
        else:  # no disk asked: the data lives as long as the pod
            volumes.append({"name": "data", "emptyDir": {}})
        mounts.append({"name": "data", "mountPath": data_path})
    if service.get("workspace_paths") and settings.workspace_volume:
        source = json.loads(json.dumps(settings.workspace_volume).replace("{owner}", owner))
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
