"""Kubernetes RBAC as a small checker: which API calls a ServiceAccount may make, given Roles,
ClusterRoles and their bindings (kubernetes.io/docs/reference/access-authn-authz/rbac).

No real API server runs here and the emulated one authorises everything, so the tests
replay the calls the code made against the emulated API through this checker. What it
implements, as the published rules say:

- a request's attributes as the API server derives them from its path (``RequestInfo``):
  verb (``get``/``list``/``watch``/``create``/``update``/``patch``/``delete``/
  ``deletecollection``), API group, resource and subresource, namespace, name; a request on
  ``namespaces/<name>`` is *in* namespace ``<name>``, so a RoleBinding there can grant it;
- a rule grants a request when its verbs, apiGroups and resources hold the request's (or
  ``*``), and its resourceNames, when set, hold the name (so never ``list``, ``watch``,
  ``create`` or ``deletecollection``, which have none);
- a ClusterRoleBinding grants its ClusterRole everywhere, cluster-scoped resources
  included; a RoleBinding grants its Role or ClusterRole only in its own namespace;
- subjects: a ServiceAccount by name and namespace, the groups ``system:serviceaccounts``,
  ``system:serviceaccounts:<namespace>`` and ``system:authenticated``;
- escalation prevention: creating or updating a (Cluster)RoleBinding also needs ``bind``
  on the role it refers to, in the binding's namespace (the other way, already holding
  every permission of the role, is not modelled: the datalab always has ``bind``).

Not modelled: aggregated ClusterRoles, non-resource URLs, ``escalate``, ``impersonate``.
"""

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

RBAC_GROUP = "rbac.authorization.k8s.io"
BINDINGS = ("RoleBinding", "ClusterRoleBinding")
ROLES = ("Role", "ClusterRole")


@dataclass(frozen=True)
class Call:
    verb: str
    group: str
    resource: str  # with its subresource: "pods/log"
    namespace: str  # "" for cluster-scoped
    name: str
    body: object = None

    def __str__(self):
        where = f" in {self.namespace}" if self.namespace else " (cluster)"
        name = f"/{self.name}" if self.name else ""
        return f"{self.verb} {self.group or 'core'}/{self.resource}{name}{where}"


def call_of(method, url, body=None):
    """The request's attributes, as the API server's RequestInfo derives them."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    segments = [s for s in parts.path.split("/") if s]
    if segments[:1] == ["api"]:
        group, rest = "", segments[2:]
    elif segments[:1] == ["apis"]:
        group, rest = segments[1], segments[3:]
    else:
        raise ValueError(f"not a resource request: {url}")
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    resource, name = rest[0], rest[1] if len(rest) > 1 else ""
    if len(rest) > 2:
        resource = f"{resource}/{rest[2]}"
    if resource == "namespaces" and name:
        namespace = name
    method = method.upper()
    watch = str(query.get("watch", "")).lower() in ("true", "1")
    verb = {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method)
    if method == "GET":
        verb = "get" if name and not watch else ("watch" if watch else "list")
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    return Call(verb, group, resource, namespace, name, body)


def rule_grants(rule, call):
    def holds(values, value):
        return "*" in values or value in values

    if not holds(rule.get("verbs") or [], call.verb):
        return False
    if not holds(rule.get("apiGroups") or [], call.group):
        return False
    if not holds(rule.get("resources") or [], call.resource):
        return False
    names = rule.get("resourceNames") or []
    return not names or call.name in names  # never a list, watch or create: they have no name


def subject_is(subject, account):
    namespace, name = account
    kind = subject.get("kind")
    if kind == "ServiceAccount":
        return (subject.get("namespace"), subject.get("name")) == (namespace, name)
    if kind == "Group":
        return subject.get("name") in ("system:serviceaccounts", f"system:serviceaccounts:{namespace}",
                                       "system:authenticated")
    if kind == "User":
        return subject.get("name") == f"system:serviceaccount:{namespace}:{name}"
    return False


class Authorizer:
    """The RBAC objects of a cluster: rendered ones, and bindings the code makes as it goes."""

    def __init__(self, objects=()):
        self.roles = {}  # (kind, namespace, name) -> rules
        self.bindings = {}  # (kind, namespace, name) -> binding
        for obj in objects:
            self.add(obj)

    def add(self, obj):
        kind, meta = obj.get("kind"), obj.get("metadata") or {}
        key = (kind, meta.get("namespace", "") if kind in ("Role", "RoleBinding") else "", meta["name"])
        if kind in ROLES:
            self.roles[key] = list(obj.get("rules") or [])
        elif kind in BINDINGS:
            self.bindings[key] = obj

    def remove(self, kind, namespace, name):
        self.bindings.pop((kind, namespace, name), None)

    def grants(self, account, call):
        """``[(binding key, role key, rule index)]`` of every rule granting ``call``."""
        found = []
        for key, binding in self.bindings.items():
            kind, namespace, _ = key
            if kind == "RoleBinding" and call.namespace != namespace:
                continue  # a RoleBinding grants in its namespace only, never cluster-scoped
            if not any(subject_is(s, account) for s in binding.get("subjects") or []):
                continue
            ref = binding.get("roleRef") or {}
            role = (ref.get("kind"), namespace if ref.get("kind") == "Role" else "", ref.get("name"))
            for index, rule in enumerate(self.roles.get(role, [])):
                if rule_grants(rule, call):
                    found.append((key, role, index))
        return found

    def check(self, account, call):
        """(grants, refusal): ``[(call, grant)]`` (the ``bind`` check's too), and why the API
        server would answer 403, else None."""
        found = [(call, grant) for grant in self.grants(account, call)]
        if not found:
            return found, f"{call}: no rule grants it"
        if call.resource in ("rolebindings", "clusterrolebindings") and call.verb in ("create", "update"):
            ref = (call.body or {}).get("roleRef") or {}
            bind = Call("bind", RBAC_GROUP, "roles" if ref.get("kind") == "Role" else "clusterroles",
                        call.namespace, ref.get("name", ""))
            binding = [(bind, grant) for grant in self.grants(account, bind)]
            if not binding:
                return found, f"{call}: {bind} is not granted (escalation prevention)"
            found += binding
        return found, None

    def apply(self, call):
        """What an allowed call changes in RBAC itself: bindings made, replaced or deleted."""
        kind = {"rolebindings": "RoleBinding", "clusterrolebindings": "ClusterRoleBinding"}.get(call.resource)
        if kind is None:
            return
        if call.verb in ("create", "update") and isinstance(call.body, dict):
            body = {**call.body, "kind": kind,
                    "metadata": {**(call.body.get("metadata") or {}), "namespace": call.namespace}}
            self.add(body)
        elif call.verb == "delete":
            self.remove(kind, call.namespace, call.name)

    def rules_of(self, account):
        """Every (role key, rule index, verb, group, resource) the account is given somewhere."""
        out = set()
        for binding in self.bindings.values():
            if not any(subject_is(s, account) for s in binding.get("subjects") or []):
                continue
            ref = binding.get("roleRef") or {}
            namespace = (binding.get("metadata") or {}).get("namespace", "")
            role = (ref.get("kind"), namespace if ref.get("kind") == "Role" else "", ref.get("name"))
            for index, rule in enumerate(self.roles.get(role, [])):
                for verb in rule.get("verbs") or []:
                    for group in rule.get("apiGroups") or []:
                        for resource in rule.get("resources") or []:
                            out.add((role, index, verb, group, resource))
        return out


def replay(authorizer, account, calls):
    """Replay ``calls`` in order: (refusals, used rule parts). Bindings the calls make grant
    the calls after them, as on a real cluster."""
    refusals, used = [], set()
    for call in calls:
        found, refusal = authorizer.check(account, call)
        if refusal:
            refusals.append(refusal)
            continue
        for asked, (_, role, index) in found:
            rule = authorizer.roles[role][index]
            verb = asked.verb if asked.verb in rule["verbs"] else "*"
            group = asked.group if asked.group in rule["apiGroups"] else "*"
            resource = asked.resource if asked.resource in rule["resources"] else "*"
            used.add((role, index, verb, group, resource))
        authorizer.apply(call)
    return refusals, used
