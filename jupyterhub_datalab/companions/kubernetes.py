"""Companions on Kubernetes: a Deployment, a Service, a Secret and a disk in a namespace.

Each companion runs in its owner's namespace ``user-<owner>`` or, when launched for a
project, in ``project-<project>`` (the namespaces the environment spawner prepares,
with their ResourceQuota, LimitRange and NetworkPolicy; names from
:mod:`jupyterhub_datalab.names`), built from the launch plan the service made
(:mod:`.plan`) by the pure functions of :mod:`jupyterhub_datalab.companion_manifests`:

- a Secret ``<name>-secrets``: the generated passwords, every variable whose value
  holds one (the pod reads them with ``secretKeyRef``; no secret is ever in clear in a
  pod spec) and the connection variables;
- a PersistentVolumeClaim ``<name>-data`` of the disk chosen, when the entry keeps data;
- a Deployment of one pod (``Recreate``) running the entry's image, its resources
  (limits and requests) counted against the namespace's quota, a readiness probe as the
  entry's ``service.ready`` says;
- a ClusterIP Service ``<name>`` on the entry's port: clients reach
  ``<name>.<namespace>.svc.cluster.local``.

All of them are labelled ``app.kubernetes.io/managed-by: jupyterhub-datalab`` and
``datalab.io/{owner,name,entry,project,shared}``; the Deployment carries the companion's
record (JSON, no secrets) in the ``datalab.io/companion`` annotation, so ``discover()``
rebuilds every companion from the cluster alone after a restart of the hub service.

``stop`` scales the Deployment to 0 (disk and Secret kept); ``launch`` again scales it
back with the same secrets; ``delete`` removes everything, the disk included.

The hub service needs, in every namespace it launches into (granted there by the
``datalab-hub`` RoleBinding the spawner makes with the namespace): get on the namespace;
create/get/update/delete on secrets, create/patch/delete on services, create/delete on
persistentvolumeclaims, create/get/list/update/patch/delete on deployments (``apps``),
list on pods, get on pods/log, list on events; and cluster-wide, list on namespaces, to
find its namespaces for ``discover``. ``tests/kubernetes/test_rbac.py`` checks every call
against the chart's rules.
"""

from __future__ import annotations

import asyncio
import time

from traitlets import Dict, Float, List, Unicode, default

from .. import companion_manifests as cm
from .. import kubernetes as k8s
from ..catalog import service_values
from ..names import platform_name, project_namespace, user_namespace
from . import Backend, BackendError, Companion
from .kubeapi import KubeApi
from .kubestatus import CompanionStatus, api_message, refused
from .plan import fill_connection

_STATUS_FIELDS = ("status", "message", "secrets")  # never in the record annotation


class KubernetesBackend(CompanionStatus, KubeApi, Backend):
    """Companions as Deployments in the owner's (or project's) namespace.

    Configure it as ``c.KubernetesBackend.<trait>`` in the config the hub service loads,
    with ``c.DatalabService.backend_class =
    "jupyterhub_datalab.companions.kubernetes.KubernetesBackend"``.
    """

    # -- where and how companions run -----------------------------------------------------

    user_namespace_template = Unicode(
        "", config=True,
        help="""The namespace of a user's companions, ``{owner}`` being the normalised
        username, e.g. ``"datalab-{owner}"``. Empty (default): the environment spawner's,
        ``user-<owner>`` (``names.user_namespace``), so they share the user's ResourceQuota.""",
    )
    project_namespace_template = Unicode(
        "", config=True,
        help="""The namespace of companions launched for a project (``{project}``: the
        normalised group name), shared by its members. Empty (default): the one the
        spawner prepares, ``project-<project>`` (``names.project_namespace``).""",
    )
    storage_class = Unicode(
        "", config=True,
        help="""The StorageClass of companions' data disks (PersistentVolumeClaims). Empty:
        the cluster's default class.""",
    )
    default_cpu = Float(
        0.5, config=True,
        help="CPU limit (cores) of a companion whose entry has no CPU option.",
    )
    default_memory = Float(
        1.0, config=True,
        help="Memory limit (GiB) of a companion whose entry has no memory option.",
    )
    cpu_guarantee_ratio = Float(
        0.25, config=True,
        help="""CPU requested for a companion, as a share of its limit (as for environments):
        0.25 with 2 cores requests 0.5.""",
    )
    mem_guarantee_ratio = Float(
        0.5, config=True,
        help="Memory requested for a companion, as a share of its limit.",
    )
    image_pull_policy = Unicode(
        "IfNotPresent", config=True, help="The ``imagePullPolicy`` of companions' containers.",
    )
    cluster_domain = Unicode(
        "cluster.local", config=True,
        help="The cluster's DNS domain: clients reach ``<name>.<namespace>.svc.<domain>``.",
    )
    node_selector = Dict(
        config=True, help="Node labels companions' pods must run on.",
    )
    tolerations = List(
        Dict(), config=True, help="Tolerations of companions' pods.",
    )
    extra_labels = Dict(
        config=True, help="More labels on every object of a companion (e.g. cost centre).",
    )
    workspace_volume = Dict(
        config=True,
        help="""The volume (a Pod ``volumes`` entry without its name) holding the owner's
        workspace, mounted read-only at ``workspace_path`` in apps (entries with
        ``service.workspace_paths``); ``{username}`` is filled as KubeSpawner fills it in
        ``pvc_name_template`` (its slug of the owner's name), ``{owner}`` with the name
        itself. Default: the environment's home disk,
        ``{"persistentVolumeClaim": {"claimName": "claim-{username}"}}`` (it must allow a
        second pod: ReadWriteMany, or both on one node). Empty: apps are unavailable.""",
    )

    @default("workspace_volume")
    def _default_workspace_volume(self):
        return {"persistentVolumeClaim": {"claimName": "claim-{username}"}}

    workspace_path = Unicode(
        "/home/jovyan/work", config=True,
        help="Where apps see the owner's workspace (``{workspace}`` in the catalog).",
    )
    ui_prefix = Unicode(
        "/services/datalab/open/{owner}/{name}", config=True,
        help="""The URL path the authenticated proxy serves a companion's web UI under
        (``{owner}``, ``{name}`` filled), unless the launch gives its own
        (``companion.endpoint["prefix"]``). UIs are started with it as their base path.""",
    )
    admission_timeout = Float(
        10.0, config=True,
        help="""Seconds ``launch`` waits for the cluster to create the companion's pod, so
        that a refusal (quota used up, policy) reaches the user as an error at once.""",
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._connections = {}  # key -> connection variables (they hold passwords)

    def settings(self):
        return cm.CompanionSettings(
            storage_class=self.storage_class, default_cpu=self.default_cpu,
            default_memory=self.default_memory, cpu_guarantee_ratio=self.cpu_guarantee_ratio,
            mem_guarantee_ratio=self.mem_guarantee_ratio, image_pull_policy=self.image_pull_policy,
            cluster_domain=self.cluster_domain, workspace_volume=self.workspace_volume,
            workspace_path=self.workspace_path, node_selector=dict(self.node_selector),
            tolerations=tuple(self.tolerations), labels=dict(self.extra_labels))

    # -- names ------------------------------------------------------------------------------

    def namespace_for(self, companion: Companion) -> str:
        """Where it runs: where it already ran (its data is there); else ``project-<project>``
        when it is shared with a project at its first launch (every member's namespace is
        admitted there), else its owner's namespace."""
        own = self.own_namespace(companion.owner)
        project = self.shared_namespace(companion.project) if companion.project else None
        if companion.endpoint.get("object") and companion.namespace in (own, project):
            return companion.namespace
        if project and (companion.shared or companion.namespace in (project, project_namespace(
                companion.project))):
            return project
        return own

    def own_namespace(self, owner):
        """The owner's namespace: the template's, else the spawner's (names.user_namespace)."""
        if self.user_namespace_template:
            return self.user_namespace_template.format(owner=owner)
        return user_namespace(owner)

    def shared_namespace(self, project):
        """A project's namespace: the template's, else the spawner's (names.project_namespace)."""
        if self.project_namespace_template:
            return self.project_namespace_template.format(project=platform_name(project))
        return project_namespace(project)

    def names(self, companion: Companion):
        namespace = companion.endpoint.get("namespace") or self.namespace_for(companion)
        own = self.own_namespace(companion.owner)
        return namespace, cm.companion_object_name(companion.owner, companion.name, namespace, own)

    def _selector(self, companion):
        return cm.companion_label_selector(companion.owner, companion.name)

    # -- what the hub service asks ------------------------------------------------------------

    def unavailable(self, entry):
        if not entry.image:
            return {"en": "This entry has no image to run on Kubernetes.",
                    "fr": "Cette entrée n'a pas d'image à lancer sur Kubernetes."}
        if (entry.service or {}).get("workspace_paths") and not self.workspace_volume:
            return {"en": "Apps from your workspace are not enabled on this cluster "
                          "(KubernetesBackend.workspace_volume).",
                    "fr": "Les applications de votre espace de travail ne sont pas activées sur ce "
                          "cluster (KubernetesBackend.workspace_volume)."}
        return None

    @staticmethod
    def record(companion: Companion) -> dict:
        """What the Deployment's annotation keeps of a companion: everything but secrets."""
        return {k: v for k, v in companion.to_dict().items() if k not in _STATUS_FIELDS}

    async def start(self, companion: Companion, plan) -> None:
        from kubernetes_asyncio.client.rest import ApiException

        entry = plan.entry
        reason = self.unavailable(entry)
        if reason:
            raise BackendError(503, reason["en"], fr=reason["fr"])
        core, apps = await self._api()
        companion.endpoint.pop("namespace", None)  # where it runs is decided here, once
        namespace = self.namespace_for(companion)
        own = self.own_namespace(companion.owner)
        if plan.uses_workspace and namespace != own:
            raise BackendError(400,
                               "An app from your workspace runs in your own namespace only: "
                               "launch it for yourself, then share it with the project.",
                               fr="Une application de votre espace de travail ne tourne que dans votre "
                               "propre espace : lancez-la pour vous, puis partagez-la avec le projet.")
        name = cm.companion_object_name(companion.owner, companion.name, namespace, own)
        try:
            await self._check_namespace(core, namespace)
            existing = await self._call(apps.read_namespaced_deployment, name, namespace, missing_ok=True)
            labels = ((existing or {}).get("metadata") or {}).get("labels") or {}
            if existing and (labels.get(k8s.OWNER_LABEL), labels.get(cm.NAME_LABEL)) != (
                    companion.owner, companion.name):
                raise BackendError(409,
                                   f"{namespace}/{name} already exists and is not {companion.key}",
                                   fr=f"{namespace}/{name} existe déjà et n'est pas {companion.key}")
            if existing and labels.get(cm.ENTRY_LABEL) != entry.id:
                raise BackendError(409,
                                   f"the name {companion.name} is already used by a {labels.get(cm.ENTRY_LABEL)} service",
                                   fr=f"le nom {companion.name} est déjà pris par un service {labels.get(cm.ENTRY_LABEL)}")
            stored = await self._call(core.read_namespaced_secret, cm.companion_secret_name(name),
                                      namespace, missing_ok=True)
        except ApiException as e:
            raise self._refusal(e) from None
        # secrets are made once: the data (PostgreSQL's cluster) was initialised with them
        plan = plan.keeping(self._secrets_of(stored))
        port, prefix = plan.port, plan.prefix
        companion.namespace, companion.secrets, companion.version = namespace, dict(plan.secrets), plan.version
        companion.entry, companion.options = entry.id, dict(plan.options)
        companion.created = companion.created or time.time()
        companion.endpoint = {
            **companion.endpoint, "namespace": namespace, "object": name, "port": port,
            "host": f"{name}.{namespace}.svc.{self.cluster_domain}", "prefix": prefix,
            "ui": f"http://{name}.{namespace}.svc:{port}{prefix}/" if plan.ui_path else None,
            "ui_path": plan.ui_path, "ready_timeout": plan.ready_timeout}
        try:
            manifests, connection = cm.companion_manifests(
                plan, namespace=namespace, object_name=name, record=self.record(companion),
                launched=round(time.time(), 3), settings=self.settings())
        except ValueError as e:
            raise BackendError(500, f"{entry.id}: {e}", fr=f"{entry.id} : {e}") from None
        for manifest in manifests:
            try:
                await self._apply(core, apps, manifest)
            except ApiException as e:
                raise self._refusal(e, manifest["kind"]) from None
        await self.share_changed(companion)
        self._connections[companion.key] = connection
        companion.status, companion.message = "starting", ""
        with refused("start it", "le démarrer"):
            await self._wait_admitted(apps, core, companion, namespace, name)

    async def share_changed(self, companion: Companion) -> None:
        """Admit the project's members to a companion shared with it in its owner's namespace
        (NetworkPolicy ``<name>-members``), or no longer. Called at each launch; the hub
        service calls it when the owner shares or unshares a running companion."""
        namespace, _ = self.names(companion)
        own = self.own_namespace(companion.owner)
        await self._members_policy(companion, bool(companion.shared and companion.project
                                                   and namespace == own))

    async def _members_policy(self, companion, admit):
        from kubernetes_asyncio import client
        from kubernetes_asyncio.client.rest import ApiException

        await self._api()
        namespace, name = self.names(companion)
        api = client.NetworkingV1Api(self._client)
        policy = cm.companion_members_policy_name(name)
        with refused("let the project's members reach it", "laisser les membres du projet le joindre"):
            if not admit:
                await self._call(api.delete_namespaced_network_policy, policy, namespace, missing_ok=True)
                return
            manifest = cm.companion_members_policy_manifest(
                namespace, name, cm.companion_selector(companion.owner, companion.name), companion.project)
            try:
                await self._call(api.create_namespaced_network_policy, namespace, manifest)
            except ApiException as e:
                if e.status != 409:
                    raise
                await self._call(api.replace_namespaced_network_policy, policy, namespace, manifest)

    async def _check_namespace(self, core, namespace):
        from kubernetes_asyncio.client.rest import ApiException

        try:
            found = await self._call(core.read_namespace, namespace, missing_ok=True)
        except ApiException as e:
            if e.status == 403:
                # the hub's rights there come with the namespace's preparation (RoleBinding
                # datalab-hub): a namespace from before them waits for its next start
                raise BackendError(409,
                                   f"The datalab cannot act in the namespace {namespace} yet: start your "
                    "environment once (it prepares the namespace), or ask your administrator.",
                                   fr=f"Le datalab ne peut pas encore agir dans l'espace {namespace} : démarrez une "
                    "fois votre environnement (il prépare l'espace), ou contactez votre "
                    "administrateur.") from None
            raise
        if found is None:
            raise BackendError(409,
                               f"Your namespace {namespace} does not exist yet: start your environment once "
                "(it prepares the namespace), or ask your administrator.",
                               fr=f"Votre espace {namespace} n'existe pas encore : démarrez une fois votre "
                "environnement (il prépare l'espace), ou contactez votre administrateur.")

    async def _apply(self, core, apps, manifest):
        """Create; if it exists: replace the Secret and the Deployment, patch the Service,
        keep the disk as it is."""
        from kubernetes_asyncio.client.rest import ApiException

        kind, meta = manifest["kind"], manifest["metadata"]
        api, suffix = {"Secret": (core, "secret"), "Service": (core, "service"),
                       "PersistentVolumeClaim": (core, "persistent_volume_claim"),
                       "Deployment": (apps, "deployment")}[kind]
        try:
            return await self._call(getattr(api, f"create_namespaced_{suffix}"), meta["namespace"], manifest)
        except ApiException as e:
            if e.status != 409:
                raise
        if kind == "PersistentVolumeClaim":
            return None
        if kind == "Service":  # its clusterIP is the cluster's: patch what is ours
            patch = {"metadata": {"labels": meta["labels"]}, "spec": manifest["spec"]}
            return await self._call(api.patch_namespaced_service, meta["name"], meta["namespace"], patch)
        return await self._call(getattr(api, f"replace_namespaced_{suffix}"), meta["name"],
                                meta["namespace"], manifest)

    def _refusal(self, error, kind="service"):
        what = {"PersistentVolumeClaim": ("data disk", "disque de données"),
                "Secret": ("service's secret", "secret du service")}.get(kind, ("service", "service"))
        en, fr = k8s.explain_refusal(error.status, api_message(error), what)
        status = error.status if error.status in (400, 403, 404, 409, 422) else 502
        return BackendError(400 if status == 422 else status, en, fr=fr)

    async def _wait_admitted(self, apps, core, companion, namespace, name):
        """Until the cluster made the pod, or refused it (quota): a refusal is an error now."""
        deadline = time.monotonic() + self.admission_timeout
        while True:
            deployment = await self._call(apps.read_namespaced_deployment, name, namespace, missing_ok=True)
            failure = self._replica_failure(deployment)
            if failure:
                en, fr, status = failure
                raise BackendError(status, en, fr=fr)
            pods = await self._pods(core, companion, namespace)
            if pods or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.2)

    # -- stop, delete, discover ------------------------------------------------------------------

    async def stop(self, companion: Companion) -> None:
        _core, apps = await self._api()
        namespace, name = self.names(companion)
        with refused("stop it", "l'arrêter"):
            await self._call(apps.patch_namespaced_deployment, name, namespace,
                             {"spec": {"replicas": 0}}, missing_ok=True)
        companion.status, companion.message = "stopped", ""

    async def delete(self, companion: Companion) -> None:
        core, apps = await self._api()
        namespace, name = self.names(companion)
        with refused("delete it", "le supprimer"):
            await self._call(apps.delete_namespaced_deployment, name, namespace,
                             propagation_policy="Background", missing_ok=True)
            await self._call(core.delete_namespaced_service, name, namespace, missing_ok=True)
            await self._call(core.delete_namespaced_persistent_volume_claim,
                             cm.companion_pvc_name(name), namespace, missing_ok=True)
            await self._call(core.delete_namespaced_secret, cm.companion_secret_name(name), namespace,
                             missing_ok=True)
        await self._members_policy(companion, admit=False)  # its members' policy goes with it
        self._connections.pop(companion.key, None)
        companion.status, companion.message = "stopped", ""

    # -- clients -------------------------------------------------------------------------------------

    def connection(self, companion: Companion) -> dict:
        known = self._connections.get(companion.key)
        if known is not None:
            return dict(known)
        entry = self.catalog.get(companion.entry) if self.catalog is not None else None
        if entry is None or not companion.endpoint.get("host"):
            return {}
        values = service_values(companion.options, companion.secrets,
                                host=companion.endpoint["host"], port=companion.endpoint.get("port"),
                                prefix=companion.endpoint.get("prefix", ""), owner=companion.owner,
                                name=companion.name, namespace=companion.namespace)
        return fill_connection(entry.service.get("connection"), values)  # credentials: at launch only

    def ui_target(self, companion: Companion) -> str | None:
        return companion.endpoint.get("ui")
