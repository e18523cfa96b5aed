"""Start what a user chose in the catalog as a pod in their own namespace (KubeSpawner 7).

``DatalabKubeSpawner`` only says how a checked ``Launch`` becomes KubeSpawner settings
(image, command, resources, disk, GPU); the profile logic (``CatalogMixin``) and the
credentials (``CredentialsMixin``) are the same as for every spawner.

Before the pod, it makes sure the user's namespace ``user-<name>`` and their projects'
``project-<group>`` exist with their objects (``NamespacesMixin``, in
:mod:`jupyterhub_datalab.kubenamespaces`), and it puts the server's sensitive
variables (hub token, S3 and Vault credentials, injected secrets) into a per-server
Secret the pod reads with ``secretKeyRef``: no secret value is ever in a pod spec.
That Secret is deleted when the server stops.

When the cluster refuses the pod (quota used up, invalid spec), the spawn fails with
a message in words, in English and French, on the spawn page and in the REST API.
"""

import copy

from kubernetes_asyncio.client.rest import ApiException
from kubespawner import KubeSpawner
from traitlets import Dict, Float, List, Unicode, default

from . import kubernetes as k8s
from . import names, trainings
from .kubenamespaces import NamespacesMixin, api_refusal
from .spawner import CatalogMixin, CredentialsMixin

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


class DatalabKubeSpawner(CatalogMixin, CredentialsMixin, NamespacesMixin, KubeSpawner):
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
        # usernames are already platform names (DatalabOAuthenticator): names.user_namespace
        return names.USER_NAMESPACE_PREFIX + "{unescaped_username}"

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

    @default("container_security_context")
    def _default_container_security_context(self):
        # the Pod Security ``restricted`` level; ``uid``/``gid`` add runAsUser/runAsGroup
        return k8s.restricted_security_context()

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

    # -- the server's Secret, pod and disk ---------------------------------------------

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
            raise self.refusal(*api_refusal(e, ("secret", "secret"))) from None

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
            raise self.refusal(*api_refusal(e, ("server", "serveur"))) from None
        finally:
            self._creating_pod = False

    async def _make_create_pvc_request(self, pvc, request_timeout):
        try:
            return await super()._make_create_pvc_request(pvc, request_timeout)
        except ApiException as e:
            raise self.refusal(*api_refusal(e, ("disk", "disque"))) from None

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
