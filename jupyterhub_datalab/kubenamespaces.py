"""The namespaces of a user and of their projects, made and kept in line by the spawner.

``NamespacesMixin`` is the part of ``DatalabKubeSpawner`` that, before each server, makes
sure ``user-<name>`` and each ``project-<group>`` exist with their objects (see
:mod:`jupyterhub_datalab.kubernetes` for them and the "managed by hand" convention):
the namespace first, then the hub's own RoleBinding there (``hub_namespace_role``), so
that every later call in the namespace is granted by it and the hub needs no rights on
other namespaces; then the ServiceAccount, RoleBindings, ResourceQuota, LimitRange and
NetworkPolicy. Leaving a project revokes the member's binding there.
"""

import copy
import json

from kubernetes_asyncio.client.rest import ApiException
from kubespawner import KubeSpawner
from kubespawner.clients import shared_client
from traitlets import Bool, Dict, HasTraits, Unicode, default, validate

from . import kubernetes as k8s
from .names import is_platform_name

# kind -> (client, method suffix, namespaced)
_API = {
    "Namespace": ("CoreV1Api", "namespace", False),
    "ServiceAccount": ("CoreV1Api", "namespaced_service_account", True),
    "RoleBinding": ("RbacAuthorizationV1Api", "namespaced_role_binding", True),
    "ResourceQuota": ("CoreV1Api", "namespaced_resource_quota", True),
    "LimitRange": ("CoreV1Api", "namespaced_limit_range", True),
    "NetworkPolicy": ("NetworkingV1Api", "namespaced_network_policy", True),
    "Secret": ("CoreV1Api", "namespaced_secret", True),
}


def _contains(existing, desired):
    """Whether ``existing`` already says everything ``desired`` says (the server adds fields)."""
    if isinstance(desired, dict):
        return isinstance(existing, dict) and all(
            _contains(existing.get(k), v) for k, v in desired.items())
    return existing == desired


class NamespacesMixin(HasTraits):
    """Namespaces and their objects, for a KubeSpawner (``self.api``, ``self.user``)."""

    # -- namespaces ---------------------------------------------------------------------

    manage_namespaces = Bool(
        True, config=True,
        help="""Create the user's namespace (and their projects') with its ServiceAccount,
        RoleBinding, ResourceQuota, LimitRange and NetworkPolicy before the pod. Existing
        objects the datalab made (label ``app.kubernetes.io/managed-by: jupyterhub-datalab``)
        are brought in line with these settings; objects annotated
        ``datalab.io/managed-by: hand``, or made by someone else, are never changed. The
        hub's rights in each namespace come from ``hub_namespace_role``.""",
    )
    project_namespaces = Bool(
        True, config=True,
        help="""Also ensure ``project-<group>`` for each of the user's groups (projects), where
        every member's ServiceAccount gets ``namespace_cluster_role`` (RoleBinding
        ``member-<name>``): the shared space for companion services.""",
    )
    hub_namespace = Unicode(
        config=True,
        help="""The namespace of the hub and the proxy: the only one (besides the namespace
        itself) from which the NetworkPolicy lets traffic into users' pods. Default: the
        hub's own namespace when it runs in a cluster, else ``default``.""",
    )

    @default("hub_namespace")
    def _default_hub_namespace(self):
        return KubeSpawner._namespace_default(self)

    hub_namespace_role = Unicode(
        "", config=True,
        help="""The ClusterRole that the hub's ServiceAccount (``hub_service_account``) gets in
        each namespace the datalab creates (RoleBinding ``datalab-hub``, made right after the
        namespace): what the spawner and the datalab service do there. The chart makes it
        (``datalab-hub-<release namespace>``) and grants cluster-wide only what has no
        namespace. Empty: no such binding; the hub's rights come from elsewhere (e.g. a
        ClusterRoleBinding its admin made).""",
    )
    hub_service_account = Unicode(
        "hub", config=True,
        help="""The hub's ServiceAccount in ``hub_namespace`` (Zero to JupyterHub's
        ``hub.serviceAccount.name``), the subject of the ``datalab-hub`` RoleBindings.""",
    )
    namespace_cluster_role = Unicode(
        "edit", config=True,
        help="""The ClusterRole the ServiceAccount of a user's pods gets in their namespace (and
        in their projects'), e.g. to launch companion services from the lab. ``edit`` cannot
        change RBAC or quotas; ``admin`` can.""",
    )
    user_quota = Dict(
        config=True,
        help="""The ResourceQuota ``spec.hard`` of each user namespace: what all of a user's
        servers and services may use together. Example: ``{"limits.cpu": "8",
        "limits.memory": "32Gi", "requests.storage": "100Gi", "pods": "10"}``.
        A spawn beyond it fails with a message saying which resource is used up.""",
    )

    @default("user_quota")
    def _default_user_quota(self):
        return {"requests.cpu": "8", "limits.cpu": "16", "requests.memory": "32Gi",
                "limits.memory": "64Gi", "requests.storage": "200Gi",
                "persistentvolumeclaims": "10", "pods": "20",
                f"requests.{self.gpu_resource_name}": "1"}

    project_quota = Dict(
        config=True,
        help="""The ResourceQuota ``spec.hard`` of each project namespace (shared by its
        members). Default: the same as ``user_quota``.""",
    )

    @default("project_quota")
    def _default_project_quota(self):
        return dict(self.user_quota)

    limit_range = Dict(
        config=True,
        help="""The LimitRange of the datalab's namespaces, per container: ``default`` limits
        and ``defaultRequest`` requests for containers that set none (a quota on limits
        requires them), and optional ``max``/``min``. Example: ``{"default": {"cpu": "1",
        "memory": "2Gi"}, "defaultRequest": {"cpu": "100m", "memory": "256Mi"},
        "max": {"cpu": "8", "memory": "64Gi"}}``.""",
    )

    @default("limit_range")
    def _default_limit_range(self):
        return {"default": {"cpu": "1", "memory": "2Gi"},
                "defaultRequest": {"cpu": "100m", "memory": "256Mi"}}

    pod_security_level = Unicode(
        "restricted", config=True,
        help="""The Pod Security level enforced (and warned, audited) in the namespaces the
        datalab creates: ``restricted`` (default; every container the datalab writes passes it),
        ``baseline`` for images that must run as root, or ``privileged`` (not recommended:
        a notebook holding the namespace's role could then create privileged pods).""",
    )

    @validate("pod_security_level")
    def _check_pod_security_level(self, proposal):
        k8s.pod_security_labels(proposal["value"])  # says the allowed levels
        return proposal["value"]


    namespace_labels = Dict(
        config=True,
        help="""Extra labels of the namespaces the datalab creates, e.g. Pod Security admission:
        ``{"pod-security.kubernetes.io/enforce": "baseline"}``.""",
    )

    # -- the cluster ----------------------------------------------------------------------

    def _client(self, kind):
        name, suffix, namespaced = _API[kind]
        return (self.api if name == "CoreV1Api" else shared_client(name)), suffix, namespaced

    def _to_dict(self, obj):
        return self.api.api_client.sanitize_for_serialization(obj)

    async def ensure_object(self, manifest, create=True, update=True):
        """Create ``manifest``; if it exists, bring it in line unless it is managed by hand.

        Returns "created", "updated", "unchanged" or "kept" (hand-managed or not ours), or
        "exists" when it exists and ``update`` is false. ``create=False``: it exists.
        """
        api, suffix, namespaced = self._client(manifest["kind"])
        meta = manifest["metadata"]
        where = (meta["namespace"],) if namespaced else ()
        if create:
            try:
                await getattr(api, f"create_{suffix}")(*where, manifest)
                return "created"
            except ApiException as e:
                if e.status != 409:
                    raise
            if not update:
                return "exists"
        existing = self._to_dict(await getattr(api, f"read_{suffix}")(meta["name"], *where))
        if not k8s.may_update(existing):
            return "kept"
        desired = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
        # projects the user left: their membership labels go (a patch only adds)
        left = [k for k in (existing.get("metadata") or {}).get("labels") or {}
                if manifest["kind"] == "Namespace" and k.startswith(k8s.MEMBER_LABEL_PREFIX)
                and k not in meta.get("labels", {})]
        if _contains(existing, desired) and not left:
            return "unchanged"
        if manifest["kind"] == "RoleBinding" and existing.get("roleRef") != manifest["roleRef"]:
            # roleRef is immutable: a real API server answers 422 to a patch (the emulator
            # took it), and every user's spawn broke after a change of namespace_cluster_role
            await getattr(api, f"delete_{suffix}")(meta["name"], *where)
            await getattr(api, f"create_{suffix}")(*where, manifest)
            return "updated"
        patch = copy.deepcopy(desired)
        if left:
            patch["metadata"]["labels"].update(dict.fromkeys(left))
        hard = (existing.get("spec") or {}).get("hard")
        if manifest["kind"] == "ResourceQuota" and hard:
            patch["spec"]["hard"].update({k: None for k in hard if k not in desired["spec"]["hard"]})
        await getattr(api, f"patch_{suffix}")(meta["name"], *where, patch)
        return "updated"

    def namespace_manifests(self):
        """Every object of the user's namespace and of their projects' namespaces."""
        user = self.user.name
        own = self.namespace
        common = {"hub_namespace": self.hub_namespace, "cluster_role": self.namespace_cluster_role,
                  "limits": self.limit_range, "labels": self.namespace_labels,
                  "automount": self.automount_service_account_token is not False,
                  "pod_security": self.pod_security_level, "hub_role": self.hub_namespace_role,
                  "hub_account": (self.hub_namespace, self.hub_service_account)}
        groups = sorted(g.name for g in self.user.groups) if self.project_namespaces else []
        # the user's namespace says which projects they are in: their policies admit it
        membership = {k8s.member_label(g): "true" for g in groups}
        manifests = k8s.namespace_objects(
            own, owner_kind="user", owner=user, quota=self.user_quota,
            accounts={k8s.ROLE_BINDING_NAME: [(own, k8s.SERVICE_ACCOUNT)]},
            **{**common, "labels": {**self.namespace_labels, **membership}})
        if self.project_namespaces:
            for group in sorted(g.name for g in self.user.groups):
                manifests += k8s.namespace_objects(
                    k8s.project_namespace(group), owner_kind="project", owner=group,
                    quota=self.project_quota,
                    accounts={k8s.member_binding_name(user): [(own, k8s.SERVICE_ACCOUNT)]},
                    **common)
        return manifests

    async def ensure_namespaces(self):
        """The user's and their projects' namespaces with their objects, idempotently."""
        if not is_platform_name(self.user.name):
            raise self.refusal(400, f"the username {self.user.name!r} cannot name a namespace; "
                                "log in through the datalab's authenticator, which normalises it",
                           f"le nom {self.user.name!r} ne peut pas nommer un espace de noms ; "
                           "connectez-vous avec l'authentificateur du datalab, qui le normalise")
        self.progress_message(10, f"Preparing your namespace {self.namespace}",
                              f"Préparation de votre espace {self.namespace}")
        done = {}
        existing = None  # a namespace already there: brought in line under the hub's binding
        for manifest in self.namespace_manifests():
            first = manifest["kind"] == "Namespace" and bool(self.hub_namespace_role)
            result = await self._ensure_one(manifest, update=not first)
            if result == "exists":
                existing = manifest
                continue
            done.setdefault(result, []).append(f"{manifest['kind']}/{manifest['metadata']['name']}")
            if existing and manifest["metadata"]["name"] == k8s.HUB_BINDING_NAME:
                result = await self._ensure_one(existing, create=False)
                done.setdefault(result, []).append(f"Namespace/{existing['metadata']['name']}")
                existing = None
        if self.project_namespaces:
            for name in await self.revoke_departed_projects():
                done.setdefault("deleted", []).append(f"RoleBinding/{name}")
        self.log.info("Namespaces of %s: %s", self.user.name,
                      "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(done.items())))
        return done

    async def _ensure_one(self, manifest, **how):
        try:
            return await self.ensure_object(manifest, **how)
        except ApiException as e:
            raise self.refusal(*api_refusal(e, (f"namespace object {manifest['kind']}",
                                   f"objet d'espace {manifest['kind']}"))) from None

    async def revoke_departed_projects(self):
        """The user's ``member-<name>`` bindings in the datalab's project namespaces of groups
        they left: access ends with membership (before, the bindings stayed forever).
        Returns ``namespace/binding`` of each one deleted."""
        current = {k8s.project_namespace(g.name) for g in self.user.groups}
        binding = k8s.member_binding_name(self.user.name)
        api, suffix, _ = self._client("RoleBinding")
        core = self.api
        selector = f"{k8s.MANAGED_BY_LABEL}={k8s.MANAGED_BY},{k8s.OWNER_KIND_LABEL}=project"
        try:
            namespaces = self._to_dict(await core.list_namespace(label_selector=selector))
        except ApiException as e:
            raise self.refusal(*api_refusal(e, ("project namespaces", "espaces de projet"))) from None
        deleted = []
        for item in namespaces.get("items") or []:
            namespace = item["metadata"]["name"]
            if namespace in current:
                continue
            try:
                await getattr(api, f"delete_{suffix}")(binding, namespace)
            except ApiException as e:
                if e.status == 404:
                    continue
                if e.status == 403:
                    # no datalab-hub binding there yet (a namespace from before the hub's
                    # rights were namespaced, no member started since): next time
                    self.log.warning("Cannot revoke %s in %s yet: no rights there", binding, namespace)
                    continue
                raise self.refusal(*api_refusal(e, ("project membership", "appartenance au projet"))) from None
            deleted.append(f"{namespace}/{binding}")
        return deleted

    async def _ensure_namespace(self):
        # KubeSpawner's own namespace step: done by ensure_namespaces, before the secret
        pass


def api_refusal(error, what):
    """The API server's refusal as ``(status, en, fr)``, the words a person can act on;
    the spawner raises it with ``self.refusal(*api_refusal(e, what))``."""
    try:
        message = json.loads(error.body).get("message") or error.reason
    except (TypeError, ValueError, AttributeError):
        message = error.reason
    en, fr = k8s.explain_refusal(error.status, message, what)
    status = error.status if error.status in (400, 403, 409, 422) else 500
    return 400 if status == 422 else status, en, fr
