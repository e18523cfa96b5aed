"""What a companion on Kubernetes is doing, in words: its status, log and events, read from
its Deployment, its pods and the namespace's events, and every companion found again from
the cluster alone (``discover``): the part of ``KubernetesBackend`` that only reads. A container that will not get better on its own (image not found,
crash loop, invalid configuration) makes it ``failed`` with what to do, in en and fr.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import re
import time

from .. import companion_manifests as cm
from .. import kubernetes as k8s
from . import BackendError, Companion

# a container waiting for one of these will not get better on its own
_BROKEN = {
    "ImagePullBackOff": ("the image {image} cannot be pulled", "l'image {image} ne peut pas être téléchargée"),
    "ErrImagePull": ("the image {image} cannot be pulled", "l'image {image} ne peut pas être téléchargée"),
    "ErrImageNeverPull": ("the image {image} is not on the node", "l'image {image} n'est pas sur le nœud"),
    "InvalidImageName": ("the image name {image} is invalid", "le nom d'image {image} est invalide"),
    "CreateContainerConfigError": ("its container's configuration is invalid",
                                   "la configuration de son conteneur est invalide"),
    "CreateContainerError": ("its container could not be created", "son conteneur n'a pas pu être créé"),
    "RunContainerError": ("its container could not be started", "son conteneur n'a pas pu être démarré"),
    "CrashLoopBackOff": ("it keeps crashing", "il plante sans cesse"),
}


def words(en, fr):
    """A message for users in both languages, as Companion.message carries it."""
    return en if en == fr else f"{en} / {fr}"


def _epoch(text):
    if not text:
        return None
    try:
        return datetime.datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return None


def api_message(error):
    try:
        return json.loads(error.body).get("message") or error.reason
    except (TypeError, ValueError, AttributeError):
        return getattr(error, "reason", "") or str(error)


@contextlib.contextmanager
def refused(en, fr):
    """The API server's refusal of anything but a creation, as a BackendError in words."""
    from kubernetes_asyncio.client.rest import ApiException

    try:
        yield
    except ApiException as e:
        message = api_message(e)
        status = e.status if e.status in (403, 404, 409) else 502
        raise BackendError(status,
                           f"The cluster refused to {en} (error {e.status}): {message}",
                           fr=f"Le cluster a refusé de {fr} (erreur {e.status}) : {message}") from None


class CompanionStatus:
    """Status, logs, events and discovery of companions (mixed into ``KubernetesBackend``:
    ``_api``, ``_call``, ``names``, ``_selector``, ``_connections``, ``log``)."""

    @staticmethod
    def _replica_failure(deployment):
        """(en, fr, status) when the cluster refuses to create the pod (quota, policy), else None."""
        for condition in ((deployment or {}).get("status") or {}).get("conditions") or []:
            if condition.get("type") == "ReplicaFailure" and condition.get("status") == "True":
                message = condition.get("message") or condition.get("reason") or ""
                status = 403 if "forbidden" in message or "quota" in message else 500
                return (*k8s.explain_refusal(status, message, ("service", "service")), status)
        return None

    async def _pods(self, core, companion, namespace):
        found = await self._call(core.list_namespaced_pod, namespace,
                                 label_selector=self._selector(companion))
        pods = [p for p in (found or {}).get("items") or []
                if not (p.get("metadata") or {}).get("deletionTimestamp")]
        return sorted(pods, key=lambda p: p["metadata"].get("creationTimestamp") or "", reverse=True)

    # -- status -------------------------------------------------------------------------------

    async def status(self, companion: Companion) -> tuple[str, str]:
        core, apps = await self._api()
        namespace, name = self.names(companion)
        with refused("tell how it is", "dire comment il va"):
            deployment = await self._call(apps.read_namespaced_deployment, name, namespace, missing_ok=True)
            state, message = await self._status(core, companion, namespace, deployment)
        companion.status, companion.message = state, message
        return state, message

    async def _status(self, core, companion, namespace, deployment):
        if deployment is None:
            return "stopped", words("it is no longer in the cluster; launch it again",
                                    "il n'est plus dans le cluster ; relancez-le")
        spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
        if spec.get("replicas", 1) == 0:
            return "stopped", words("stopped; its data is kept, start it again to use it",
                                    "arrêté ; ses données sont gardées, relancez-le pour l'utiliser")
        failure = self._replica_failure(deployment)
        if failure:
            return "failed", words(*failure[:2])
        if (status.get("readyReplicas") or 0) >= 1:
            return "ready", words("ready", "prêt")
        pods = await self._pods(core, companion, namespace)
        annotations = (deployment.get("metadata") or {}).get("annotations") or {}
        launched = float(annotations.get(cm.LAUNCHED_ANNOTATION) or time.time())
        timeout = float(companion.endpoint.get("ready_timeout") or 60)
        if not pods:
            return "starting", words(f"waiting for its pod ({time.time() - launched:.0f} s)",
                                     f"en attente de son pod ({time.time() - launched:.0f} s)")
        pod = pods[0]
        pod_status = pod.get("status") or {}
        for container in pod_status.get("containerStatuses") or []:
            waiting = (container.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in _BROKEN:
                return "failed", await self._broken(core, namespace, pod, container, waiting)
        for condition in pod_status.get("conditions") or []:
            if (condition.get("type"), condition.get("status"), condition.get("reason")) == (
                    "PodScheduled", "False", "Unschedulable"):
                detail = condition.get("message") or ""
                return "starting", words(f"waiting for room in the cluster: {detail}",
                                         f"en attente de place dans le cluster : {detail}")
        started = None
        for container in pod_status.get("containerStatuses") or []:
            started = _epoch(((container.get("state") or {}).get("running") or {}).get("startedAt"))
        if started is None:
            waited = time.time() - launched
            return "starting", words(f"preparing its container ({waited:.0f} s)",
                                     f"préparation de son conteneur ({waited:.0f} s)")
        elapsed = time.time() - started
        if elapsed > timeout:
            lines = await self._log_lines(core, namespace, pod["metadata"]["name"], 10)
            return "failed", words(f"not ready after {timeout:.0f} s; last lines of its log:",
                                   f"pas prêt après {timeout:.0f} s ; dernières lignes de son journal :") \
                + ("\n" + "\n".join(lines) if lines else "")
        return "starting", words(f"starting ({elapsed:.0f} s)", f"démarrage ({elapsed:.0f} s)")

    async def _broken(self, core, namespace, pod, container, waiting):
        reason = waiting["reason"]
        en, fr = (t.format(image=container.get("image") or "?") for t in _BROKEN[reason])
        detail = waiting.get("message") or ""
        restarts = container.get("restartCount") or 0
        if reason == "CrashLoopBackOff":
            lines = await self._log_lines(core, namespace, pod["metadata"]["name"], 10, previous=True)
            return words(f"{en} (restarted {restarts} times); last lines of its log:",
                         f"{fr} (redémarré {restarts} fois) ; dernières lignes de son journal :") \
                + ("\n" + "\n".join(lines) if lines else "")
        if "image" in reason.lower():
            return words(f"{en}: {detail}. Choose another version, or ask your administrator "
                         "(registry access).",
                         f"{fr} : {detail}. Choisissez une autre version, ou contactez votre "
                         "administrateur (accès au registre).")
        return words(f"{en}: {detail}", f"{fr} : {detail}")

    # -- logs and events ------------------------------------------------------------------------

    async def _log_lines(self, core, namespace, pod, tail, previous=False):
        from kubernetes_asyncio.client.rest import ApiException

        try:
            text = await self._call(core.read_namespaced_pod_log, pod, namespace, text=True,
                                    container=cm.COMPANION_CONTAINER, tail_lines=tail,
                                    previous=previous, missing_ok=True)
        except ApiException:  # e.g. 400: the container has not started yet
            return []
        return (text or "").splitlines()[-tail:] if tail else []

    async def logs(self, companion: Companion, tail: int = 200) -> list[str]:
        core, _ = await self._api()
        namespace, _ = self.names(companion)
        with refused("show its log", "montrer son journal"):
            pods = await self._pods(core, companion, namespace)
            if not pods:
                return []
            return await self._log_lines(core, namespace, pods[0]["metadata"]["name"], tail)

    async def events(self, companion: Companion) -> list[dict]:
        core, _ = await self._api()
        namespace, name = self.names(companion)
        with refused("list its events", "lister ses événements"):
            found = await self._call(core.list_namespaced_event, namespace)
        ours = {name, cm.companion_pvc_name(name), cm.companion_secret_name(name)}
        # its ReplicaSets (<name>-<hash>) and pods (<name>-<hash>-<suffix>)
        children = re.compile(rf"^{re.escape(name)}-[a-z0-9]{{6,10}}(-[a-z0-9]{{5}})?$")
        out = []
        for event in (found or {}).get("items") or []:
            involved = event.get("involvedObject") or {}
            if involved.get("name") not in ours and not children.match(involved.get("name") or ""):
                continue
            when = (_epoch(event.get("lastTimestamp")) or _epoch(event.get("eventTime"))
                    or _epoch(event.get("firstTimestamp"))
                    or _epoch((event.get("metadata") or {}).get("creationTimestamp")) or 0)
            text = f"{involved.get('kind', '')} {involved.get('name', '')}: {event.get('reason', '')}"
            if event.get("message"):
                text += f": {event['message']}"
            if (event.get("count") or 1) > 1:
                text += f" (x{event['count']})"
            out.append({"time": when, "message": text, "type": event.get("type", "Normal")})
        return sorted(out, key=lambda e: e["time"])

    @staticmethod
    def _secrets_of(secret):
        import base64

        data = (secret or {}).get("data") or {}
        return {k: base64.b64decode(v).decode() for k, v in data.items() if "." not in k}

    @staticmethod
    def _connection_of(secret):
        import base64

        raw = ((secret or {}).get("data") or {}).get(cm.CONNECTION_KEY)
        try:
            return json.loads(base64.b64decode(raw).decode()) if raw else None
        except ValueError:
            return None

    # -- discover: companions found again from the cluster alone -----------------------

    async def discover(self) -> list[Companion]:
        from kubernetes_asyncio.client.rest import ApiException

        core, apps = await self._api()
        deployments = []
        try:
            for namespace in await self._namespaces(core):
                try:
                    found = await self._call(apps.list_namespaced_deployment, namespace,
                                             label_selector=cm.companion_label_selector())
                except ApiException as e:
                    if e.status != 403:
                        raise
                    # no datalab-hub binding there yet (made before the hub's rights were
                    # namespaced): its owner's next start makes it
                    self.log.warning("Companions in %s cannot be listed yet: %s", namespace, api_message(e))
                    continue
                deployments += (found or {}).get("items") or []
        except ApiException as e:
            raise BackendError(502,
                               f"The companions in the cluster cannot be listed: {api_message(e)}",
                               fr=f"Les compagnons du cluster ne peuvent pas être listés : {api_message(e)}") from None
        out = []
        for deployment in deployments:
            meta = deployment.get("metadata") or {}
            try:
                record = json.loads((meta.get("annotations") or {})[cm.RECORD_ANNOTATION])
            except (KeyError, ValueError):
                self.log.warning("Deployment %s/%s has no companion record: left alone",
                                 meta.get("namespace"), meta.get("name"))
                continue
            companion = Companion(**{k: v for k, v in record.items()
                                     if k in Companion.__dataclass_fields__})
            companion.namespace = meta.get("namespace") or companion.namespace
            companion.endpoint = {**companion.endpoint, "namespace": companion.namespace,
                                  "object": meta.get("name")}
            with refused("read its secrets", "lire ses secrets"):
                secret = await self._call(core.read_namespaced_secret,
                                          cm.companion_secret_name(meta["name"]), companion.namespace,
                                          missing_ok=True)
            companion.secrets = self._secrets_of(secret)
            connection = self._connection_of(secret)
            if connection is not None:
                self._connections[companion.key] = connection
            with refused("tell how it is", "dire comment il va"):
                companion.status, companion.message = await self._status(
                    core, companion, companion.namespace, deployment)
            out.append(companion)
        return out

    async def _namespaces(self, core):
        """The datalab's namespaces (users' and projects', labelled by the spawner that made
        them): the hub's rights are there, not cluster-wide, so companions are listed in
        each rather than across all namespaces."""
        found = await self._call(core.list_namespace,
                                 label_selector=f"{k8s.MANAGED_BY_LABEL}={k8s.MANAGED_BY}")
        return sorted(n["metadata"]["name"] for n in (found or {}).get("items") or [])
