"""Start what a user chose in the catalog as a pod in their own namespace (KubeSpawner 7).

``DatalabKubeSpawner`` only says how a checked ``Launch`` becomes KubeSpawner settings
(image, command, resources, disk, GPU); the profile logic (``CatalogMixin``) and the
credentials (``CredentialsMixin``) are the same as for every spawner.

Before the pod, it makes sure the user's namespace ``user-<name>`` and their projects'
``project-<group>`` exist with their ServiceAccount, RoleBinding(s), ResourceQuota,
LimitRange and NetworkPolicy (see :mod:`jupyterhub_datalab.kubernetes` for the
objects and the "managed by hand" convention), and it puts the server's sensitive
variables (hub token, S3 and Vault credentials, injected secrets) into a per-server
Secret the pod reads with ``secretKeyRef``: no secret value is ever in a pod spec.
That Secret is deleted when the server stops.

When the cluster refuses the pod (quota used up, invalid spec), the spawn fails with
a message in words, in English and French, on the spawn page and in the REST API.
"""

import copy
import json

from kubernetes_asyncio.client.rest import ApiException
from kubespawner import KubeSpawner
from kubespawner.clients import shared_client
from tornado import web
from traitlets import Bool, Dict, Float, List, Unicode, default, validate

from . import kubernetes as k8s
from . import trainings
from .names import is_platform_name
from .spawner import CatalogMixin, CredentialsMixin

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
# the settings apply_launch changes: taken from the admin's config, then set per launch
_LAUNCH_TRAITS = ("image", "cmd", "args", "port", "uid", "gid", "fs_gid", "working_dir",
                  "default_url", "environment", "cpu_limit", "cpu_guarantee", "mem_limit",
                  "mem_guarantee", "storage_pvc_ensure", "storage_capacity", "volumes",
                  "volume_mounts", "extra_resource_limits", "node_selector", "tolerations",
                  "init_containers")
HOME_VOLUME = "datalab-home"
TRAINING_VOLUME = "datalab-training"


def _literal(text):
    """``text`` with its braces doubled, so KubeSpawner's template filling leaves it as is."""
    return text.replace("{", "{{").replace("}", "}}")


def _contains(existing, desired):
    """Whether ``existing`` already says everything ``desired`` says (the server adds fields)."""
    if isinstance(desired, dict):
        return isinstance(existing, dict) and all(
            _contains(existing.get(k), v) for k, v in desired.items())
    return existing == desired


class DatalabKubeSpawner(CatalogMixin, CredentialsMixin, KubeSpawner):
    """Start each user's environment as a pod in their namespace ``user-<name>``.

    Every catalog entry with an image runs here; each entry's ``kubernetes`` section
    (command, port, uid, fs_gid, working dir, default URL, variables, gpu) and the
    user's checked options (version, CPU, memory, GPU, disk) make the pod.
    """

    # -- KubeSpawner defaults for the datalab ------------------------------------------

    @default("enable_user_namespaces")
    def _default_enable_user_namespaces(self):
        return True

    @default("user_namespace_template")
    def _default_user_namespace_template(self):
        # usernames are already normalised to RFC 1123 labels by DatalabOAuthenticator
        return "user-{unescaped_username}"

    @default("service_account")
    def _default_service_account(self):
        return k8s.SERVICE_ACCOUNT

    # -- resources ----------------------------------------------------------------------

    cpu_guarantee_ratio = Float(
        0.25, config=True,
        help="""CPU requested (guaranteed) for a server, as a share of the CPU limit the user
        chose: 0.25 with 2 cores gives a request of 0.5 core and a limit of 2. 1 guarantees
        everything (no overcommit).""",
    )
    mem_guarantee_ratio = Float(
        0.5, config=True,
        help="""Memory requested (guaranteed) for a server, as a share of the memory limit the
        user chose: 0.5 with 8 GiB requests 4 GiB. Memory above the request may be reclaimed
        by the node under pressure; 1 avoids that.""",
    )
    gpu_resource_name = Unicode(
        "nvidia.com/gpu", config=True,
        help="""The extended resource a GPU entry asks for (``extra_resource_limits``), as your
        device plugin names it: ``nvidia.com/gpu``, ``amd.com/gpu``, ``nvidia.com/mig-1g.5gb``...""",
    )
    gpu_node_selector = Dict(
        config=True,
        help="""Node labels GPU entries must run on, added to ``node_selector`` for them only.
        Example: ``{"nvidia.com/gpu.present": "true"}``.""",
    )
    gpu_tolerations = List(
        Dict(), config=True,
        help="""Tolerations added to GPU entries only, so GPU nodes can be tainted for them.
        Default: tolerate the usual ``nvidia.com/gpu`` taint. Example::

            [{"key": "gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
        """,
    )

    @default("gpu_tolerations")
    def _default_gpu_tolerations(self):
        return [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]

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

    @default("container_security_context")
    def _default_container_security_context(self):
        # the Pod Security ``restricted`` level; ``uid``/``gid`` add runAsUser/runAsGroup
        return k8s.restricted_security_context()

    namespace_labels = Dict(
        config=True,
        help="""Extra labels of the namespaces the datalab creates, e.g. Pod Security admission:
        ``{"pod-security.kubernetes.io/enforce": "baseline"}``.""",
    )

    # -- the server's secret variables --------------------------------------------------

    secret_env_names = List(
        Unicode(), config=True,
        help="""More variables that go into the server's Secret rather than in clear into the
        pod spec. Always there: the hub token, every S3/Vault credential variable, the
        user's injected secrets (``DATALAB_INJECTED_KEYS``) and names matching
        ``secret_env_patterns``.""",
    )
    secret_env_patterns = List(
        Unicode(), config=True,
        help="""Shell-style patterns of variable names treated as secret (see
        ``secret_env_names``).""",
    )

    @default("secret_env_patterns")
    def _default_secret_env_patterns(self):
        return list(k8s.SENSITIVE_PATTERNS)

    # -- the launch -----------------------------------------------------------------------

    _admin_settings = None
    _creating_pod = False

    def unavailable(self, entry):
        if not entry.image:
            return {"en": "This entry has no image to run on Kubernetes.",
                    "fr": "Cette entrée n'a pas d'image à lancer sur Kubernetes."}
        return None

    async def apply_launch(self, launch):
        if self._admin_settings is None:
            self._admin_settings = {n: copy.deepcopy(getattr(self, n)) for n in _LAUNCH_TRAITS}
        for name, value in self._admin_settings.items():
            setattr(self, name, copy.deepcopy(value))
        kube = launch.entry.kubernetes
        self.image = launch.image
        if kube.get("cmd"):
            self.cmd = list(kube["cmd"])
        if kube.get("args"):
            self.args = list(kube["args"])
        for name in ("port", "uid", "gid", "fs_gid", "working_dir", "default_url"):
            if kube.get(name) is not None:
                setattr(self, name, kube[name])
        self.environment = {**self.environment, **kube.get("env", {})}
        if launch.cpu:
            self.cpu_limit = float(launch.cpu)
            self.cpu_guarantee = round(launch.cpu * self.cpu_guarantee_ratio, 3)
        if launch.memory:
            self.mem_limit = int(launch.memory * 1024**3)
            self.mem_guarantee = int(launch.memory * 1024**3 * self.mem_guarantee_ratio)
        self._apply_disk(launch.disk or 0, kube.get("working_dir") or "/home/jovyan")
        if kube.get("gpu") and launch.gpu:
            self.extra_resource_limits = {**self.extra_resource_limits,
                                          self.gpu_resource_name: str(launch.gpu)}
            self.node_selector = {**self.node_selector, **self.gpu_node_selector}
            tolerations = self.tolerations
            if isinstance(tolerations, dict):
                self.tolerations = {**tolerations, **{f"datalab-gpu-{i}": t for i, t in
                                                      enumerate(self.gpu_tolerations)}}
            else:
                self.tolerations = [*tolerations, *self.gpu_tolerations]

    async def put_training_material(self, launch, folder):
        """An init container (the entry's image) puts the material into the work folder:
        on the user's disk when they chose one (only missing files: their edits are kept),
        else in an emptyDir mounted on ``<working_dir>/<folder>`` for the server's life."""
        work = (launch.entry.kubernetes.get("working_dir") or "/home/jovyan").rstrip("/")
        dest = f"{work}/{folder}"
        container = trainings.init_container(launch.entry, launch.image, dest, uid=self.uid, gid=self.gid)
        # KubeSpawner fills {...} templates in the pod spec's strings: the script and the
        # material's variables must reach the pod as they are
        container["command"] = [_literal(part) for part in container["command"]]
        for var in container["env"]:
            var["value"] = _literal(var["value"])
        if self.storage_pvc_ensure:
            container["volumeMounts"] = [{"name": HOME_VOLUME, "mountPath": work}]
        else:
            self.volumes = _with_item(self.volumes, {"name": TRAINING_VOLUME, "emptyDir": {}})
            mount = {"name": TRAINING_VOLUME, "mountPath": dest}
            self.volume_mounts = _with_item(self.volume_mounts, mount)
            container["volumeMounts"] = [mount]
        # z2jh may give V1Container objects (its cloud-metadata blocker), not only dicts
        self.init_containers = [*(c for c in self.init_containers if _name_of(c) != container["name"]),
                                container]

    def _apply_disk(self, disk, mount_path):
        """A PVC of ``disk`` GiB mounted on the work folder; none when 0."""
        volume = {"name": HOME_VOLUME, "persistentVolumeClaim": {"claimName": "{pvc_name}"}}
        mount = {"name": HOME_VOLUME, "mountPath": mount_path}
        self.storage_pvc_ensure = disk > 0
        if disk > 0:
            self.storage_capacity = f"{disk}Gi"
            self.volumes = _with_item(self.volumes, volume)
            self.volume_mounts = _with_item(self.volume_mounts, mount)

    # -- the environment: secrets by reference ----------------------------------------

    @property
    def env_secret_name(self):
        return k8s.env_secret_name(self.pod_name)

    def _split_env(self):
        env = super().get_env()
        extra = set(self._credential_env or {}) | set(self.secret_env_names)
        return k8s.split_env(env, extra, self.secret_env_patterns)

    def get_env(self):
        plain, secret = self._split_env()
        plain.update(k8s.secret_env_refs(self.env_secret_name, secret))
        return plain

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
        if _contains(existing, desired):
            return "unchanged"
        if manifest["kind"] == "RoleBinding" and existing.get("roleRef") != manifest["roleRef"]:
            # roleRef is immutable: a real API server answers 422 to a patch (the emulator
            # took it), and every user's spawn broke after a change of namespace_cluster_role
            await getattr(api, f"delete_{suffix}")(meta["name"], *where)
            await getattr(api, f"create_{suffix}")(*where, manifest)
            return "updated"
        patch = copy.deepcopy(desired)
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
        manifests = k8s.namespace_objects(
            own, owner_kind="user", owner=user, quota=self.user_quota,
            accounts={k8s.ROLE_BINDING_NAME: [(own, k8s.SERVICE_ACCOUNT)]}, **common)
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
            raise _refused(400, f"the username {self.user.name!r} cannot name a namespace; "
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
            raise _api_refusal(e, (f"namespace object {manifest['kind']}",
                                   f"objet d'espace {manifest['kind']}")) from None

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
            raise _api_refusal(e, ("project namespaces", "espaces de projet")) from None
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
                raise _api_refusal(e, ("project membership", "appartenance au projet")) from None
            deleted.append(f"{namespace}/{binding}")
        return deleted

    async def _ensure_namespace(self):
        # KubeSpawner's own namespace step: done by ensure_namespaces, before the secret
        pass

    async def ensure_env_secret(self):
        """Create or replace the server's Secret holding its sensitive variables."""
        _, secret = self._split_env()
        self.progress_message(15, f"Storing {len(secret)} secret variables in Secret {self.env_secret_name}",
                              f"Enregistrement de {len(secret)} variables secrètes dans le Secret "
                              f"{self.env_secret_name}")
        manifest = k8s.env_secret_manifest(self.namespace, self.env_secret_name, secret,
                                           labels=self._build_common_labels({}))
        try:
            try:
                await self.api.create_namespaced_secret(self.namespace, manifest)
            except ApiException as e:
                if e.status != 409:
                    raise
                await self.api.replace_namespaced_secret(self.env_secret_name, self.namespace, manifest)
        except ApiException as e:
            raise _api_refusal(e, ("secret", "secret")) from None

    async def delete_env_secret(self):
        try:
            await self.api.delete_namespaced_secret(self.env_secret_name, self.namespace)
        except ApiException as e:
            if e.status != 404:
                self.log.warning("Could not delete Secret %s/%s: %s", self.namespace,
                                 self.env_secret_name, e.reason)

    async def _start(self):
        if self.manage_namespaces and self.enable_user_namespaces:
            await self.ensure_namespaces()
        await self.ensure_env_secret()
        try:
            return await super()._start()
        except BaseException:
            # the hub only calls stop() for a pod that exists: clean up the secret here
            await self.delete_env_secret()
            raise

    async def _make_create_pod_request(self, pod, request_timeout):
        self._creating_pod = True
        try:
            return await super()._make_create_pod_request(pod, request_timeout)
        except ApiException as e:
            raise _api_refusal(e, ("server", "serveur")) from None
        finally:
            self._creating_pod = False

    async def _make_create_pvc_request(self, pvc, request_timeout):
        try:
            return await super()._make_create_pvc_request(pvc, request_timeout)
        except ApiException as e:
            raise _api_refusal(e, ("disk", "disque")) from None

    async def stop(self, now=False):
        await super().stop(now)
        if not self._creating_pod:  # KubeSpawner stops a leftover pod before creating ours
            await self.delete_env_secret()


def _name_of(container):
    return container.get("name") if isinstance(container, dict) else getattr(container, "name", None)


def _with_item(collection, item):
    """``volumes``/``volume_mounts`` (a list, or a dict by key) with ``item`` set by name."""
    if isinstance(collection, dict):
        return {**collection, item["name"]: item}
    return [*(i for i in collection if i.get("name") != item["name"]), item]


def _refused(status, en, fr):
    error = web.HTTPError(status, f"{en} / {fr}")
    error.jupyterhub_message = f"{en} / {fr}"
    return error


def _api_refusal(error, what):
    """The API server's refusal as an HTTP error whose message reaches the user."""
    try:
        message = json.loads(error.body).get("message") or error.reason
    except (TypeError, ValueError, AttributeError):
        message = error.reason
    en, fr = k8s.explain_refusal(error.status, message, what)
    status = error.status if error.status in (400, 403, 409, 422) else 500
    return _refused(400 if status == 422 else status, en, fr)
