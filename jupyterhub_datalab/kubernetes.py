"""Kubernetes manifests of the datalab: pure functions from names and settings to dicts.

What the Kubernetes spawner writes to a cluster is built here (the companions' objects
in :mod:`jupyterhub_datalab.companion_manifests`), without a client or a server, so each object can be read,
tested and schema-validated on its own (``kubernetes-validate --strict``).

Every user has a namespace ``user-<name>``, every project ``project-<group>``
(names already normalised by :mod:`jupyterhub_datalab.names`). Each holds:

- a RoleBinding ``datalab-hub`` giving the hub's ServiceAccount the chart's namespaced
  role there: the hub (and the datalab service beside it) holds its rights on pods,
  secrets, bindings... only in the namespaces it manages, not cluster-wide;
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
import re

from .names import platform_name, project_namespace, user_namespace  # noqa: F401 (re-exported)

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
HUB_BINDING_NAME = "datalab-hub"

# variables that always go into the server's Secret, whatever their value
SENSITIVE_ENV = ("JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN", "AWS_ACCESS_KEY_ID",
                 "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "VAULT_TOKEN")
SENSITIVE_PATTERNS = ("*_TOKEN", "*_SECRET", "*_SECRET_*", "*_PASSWORD", "*_SECRET_ACCESS_KEY")
_ENV_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


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


MEMBER_LABEL_PREFIX = "member.datalab.io/"


def member_label(project):
    """The label a member's own namespace carries for each of their projects
    (``member.datalab.io/project-stats: "true"``): the project's NetworkPolicy admits the
    namespaces that carry it, so members' kernels reach the project's companions. Only the
    hub sets it: users' role (``edit``) cannot change namespaces."""
    return MEMBER_LABEL_PREFIX + project_namespace(project)


def members_peer(project):
    """A NetworkPolicy peer: the pods of every member's namespace of ``project``."""
    return {"namespaceSelector": {"matchLabels": {member_label(project): "true"}}}


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


def network_policy_manifest(namespace, hub_namespace, name=NETWORK_POLICY_NAME, project=None):
    """Ingress only from the hub's namespace (hub, proxy), from the namespace itself and, in
    a ``project``'s namespace, from its members' namespaces (``member_label``); egress
    anywhere but the cloud's metadata endpoint.

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
                         *([members_peer(project)] if project else []),
                     ]}],
                     "egress": [
                         {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [CLOUD_METADATA]}}]},
                         {"to": [{"namespaceSelector": {}}]},
                     ]}}


def namespace_objects(namespace, *, owner_kind, owner, hub_namespace, cluster_role, quota,
                      limits, accounts, automount=True, labels=None, annotations=None,
                      pod_security="restricted", hub_role=None, hub_account=None):
    """The namespace and the objects in it, in creation order.

    ``accounts``: who gets ``cluster_role`` there, as ``{binding name: [(ns, sa), ...]}``.
    ``hub_role``: the ClusterRole given to the hub's ServiceAccount ``hub_account``
    (``(namespace, name)``) there, first, so that every later call in the namespace is
    granted by it (none: the hub's rights come from elsewhere).
    """
    objects = [namespace_manifest(namespace, owner_kind, owner, labels, annotations, pod_security)]
    if hub_role:
        objects.append(role_binding_manifest(namespace, HUB_BINDING_NAME, hub_role, [hub_account]))
    objects.append(service_account_manifest(namespace, automount=automount))
    for name, subjects in accounts.items():
        objects.append(role_binding_manifest(namespace, name, cluster_role, subjects))
    objects += [resource_quota_manifest(namespace, quota),
                limit_range_manifest(namespace, limits),
                network_policy_manifest(namespace, hub_namespace,
                                        project=owner if owner_kind == "project" else None)]
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
