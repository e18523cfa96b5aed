"""The REST API of the datalab service: handler -> CompanionManager -> backend.

Every API call is authenticated by a hub token (``Authorization: token ...``) holding
``access:services!service=datalab``; the caller is the token's owner. Users' servers
forward their panel's calls with their own ``$JUPYTERHUB_API_TOKEN``. Browser cookies
are not accepted here (only by the web-UI proxy), so no page can call this API on a
user's behalf. Errors are ``{"message", "en", "fr"[, "field"]}``: ``message`` in the
caller's ``Accept-Language`` (a user's server forwards its person's language), both
languages (``en / fr``) when the caller names none.
"""

import asyncio
import json
import time

from jupyterhub.services.auth import HubOAuthenticated
from tornado import web

from ..i18n import pick_language
from ..messages import DatalabError
from .errors import ApiError
from .manager import OWNER
from .share import check_request

MAX_TAIL = 5000


class AuthenticatedMixin(HubOAuthenticated):
    """Hub authentication without blocking the event loop (``prepare`` asks the hub)."""

    @property
    def manager(self):
        return self.settings["datalab_manager"]

    async def identify(self):
        if not hasattr(self, "_hub_auth_user_cache"):
            model = await self.hub_auth.get_user(self, sync=False)
            try:
                self._hub_auth_user_cache = self.check_hub_user(model) if model else None
            except Exception:  # UserNotAllowed: authenticated, without the scope
                self._hub_auth_user_cache = None
        return self._hub_auth_user_cache

    async def person(self):
        model = self.current_user
        return await self.manager.users.person(model["name"])


class ApiHandler(AuthenticatedMixin, web.RequestHandler):
    def check_xsrf_cookie(self):
        return  # tokens only: nothing for a forged cross-site request to ride on

    async def prepare(self):
        model = await self.identify()
        if model is None or not getattr(self, "_token_authenticated", False):
            raise ApiError(401, "Authenticate with a hub token that may use the datalab service.",
                           "Authentifiez-vous avec un jeton du hub autorisé pour le service datalab.")
        if model.get("kind", "user") != "user":
            raise ApiError(403, "Only users have services.", "Seuls les utilisateurs ont des services.")

    def get_login_url(self):
        raise ApiError(401, "Not authenticated.", "Non authentifié.")

    def set_default_headers(self):
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")

    def send(self, data, status=200):
        self.set_status(status)
        self.finish(json.dumps(data))

    def body(self):
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise ApiError(400, "The request body is not valid JSON.",
                           "Le corps de la requête n'est pas du JSON valide.") from None
        if not isinstance(data, dict):
            raise ApiError(400, "The request body must be a JSON object.",
                           "Le corps de la requête doit être un objet JSON.")
        return data

    def language(self):
        """``en``/``fr`` as the caller's Accept-Language asks, or None (both) without one."""
        header = self.request.headers.get("Accept-Language", "")
        return pick_language(header) if header.strip() else None

    def _handle_request_exception(self, e):
        if isinstance(e, DatalabError):  # ApiError, and a backend's or the catalog's refusal
            if not self._finished:
                self.clear()
                self.set_status(e.status if 400 <= e.status < 600 else 500)
                self.set_header("Content-Type", "application/json")
                self.finish(json.dumps(e.to_json(self.language())))
            return
        super()._handle_request_exception(e)

    def write_error(self, status_code, **kwargs):
        # tornado's own errors (404 route, 405...) and bugs: words, never a traceback
        self.set_header("Content-Type", "application/json")
        if status_code >= 500:
            error = ApiError(status_code, "The datalab service failed; the administrator will find why in its log.",
                             fr="Le service datalab a échoué ; l'administrateur trouvera pourquoi dans son journal.")
        else:
            error = ApiError(status_code, self._reason, fr=self._reason)
        self.finish(json.dumps(error.to_json(self.language())))


class CatalogHandler(ApiHandler):
    """``api/catalog``: the companion services this user may launch (what the panel shows).

    ``?kind=environment`` lists the environments this user may start instead (the
    welcome page's trainings, with ``&category=training``): the hub's catalog and access
    rules, read from the same config. The spawner alone knows whether one runs on its
    backend, so environments carry no ``unavailable``/``schema``: the spawn page says it.
    """

    async def get(self):
        person, manager = await self.person(), self.manager
        catalog = manager.catalog
        kind = self.get_argument("kind", "service")
        category = self.get_argument("category", None)
        if kind not in ("service", "environment"):
            raise ApiError(400, "kind is 'service' or 'environment'.",
                           "kind vaut 'service' ou 'environment'.")
        if kind == "environment":
            self.send({"entries": [
                {"id": e.id, "kind": e.kind, "name": e.name, "description": e.description,
                 "icon": e.icon, "category": e.category, "versions": list(e.versions),
                 "training": bool(e.training)}
                for e in catalog.entries("environment")
                if (category is None or e.category == category)
                and catalog.allowed(e, person.groups, person.claims)]})
            return
        context = catalog.context(person.name, person.groups, person.claims.get("email", ""))
        entries = []
        for entry in catalog.entries("service"):
            if not catalog.allowed(entry, person.groups, person.claims):
                continue
            if category is not None and entry.category != category:
                continue
            entries.append({"id": entry.id, "name": entry.name, "description": entry.description,
                            "icon": entry.icon, "category": entry.category,
                            "versions": list(entry.versions),
                            "schema": catalog.schema(entry, context),
                            "unavailable": manager.unavailable(entry)})
        self.send({"entries": entries})


class ServicesHandler(ApiHandler):
    async def get(self):
        person, manager = await self.person(), self.manager
        records = sorted(manager.visible(person), key=lambda r: r.companion.created)
        for record in records:
            if not record.lock.locked():
                await manager.refresh(record)
        self.send({"services": [manager.describe(r, person) for r in records]})

    async def post(self):
        person, manager = await self.person(), self.manager
        record = await manager.create(person, self.body())
        self.send(manager.describe(record, person), 201)


class _OneService(ApiHandler):
    async def record(self, owner, name, need=None):
        person = await self.person()
        return person, self.manager.find(owner, name, person, need or "member")


class ServiceHandler(_OneService):
    async def get(self, owner, name):
        person, record = await self.record(owner, name)
        if not record.lock.locked():
            await self.manager.refresh(record)
        self.send(self.manager.describe(record, person))

    async def delete(self, owner, name):
        person, record = await self.record(owner, name, OWNER)
        await self.manager.delete(record, person)
        self.send({"deleted": f"{owner}/{name}"})


class LogsHandler(_OneService):
    async def get(self, owner, name):
        _, record = await self.record(owner, name)
        try:
            tail = int(self.get_argument("tail", "200"))
        except ValueError:
            raise ApiError(400, "tail: expected a number of lines.",
                           "tail : un nombre de lignes est attendu.") from None
        tail = max(1, min(tail, MAX_TAIL))
        self.send({"lines": await self.manager.logs(record, tail)})


class EventsHandler(_OneService):
    async def get(self, owner, name):
        _, record = await self.record(owner, name)
        self.send({"events": await self.manager.events(record)})


class ShareHandler(_OneService):
    async def post(self, owner, name):
        person, record = await self.record(owner, name, OWNER)
        person = await self.manager.users.person(person.name, fresh=True)
        await self.manager.share(record, person, self.body().get("project"))
        self.send(self.manager.describe(record, person))

    async def delete(self, owner, name):
        person, record = await self.record(owner, name, OWNER)
        await self.manager.unshare(record)
        self.send(self.manager.describe(record, person))


class ActionHandler(_OneService):
    async def post(self, owner, name, action):
        person, record = await self.record(owner, name, OWNER)
        if action == "stop":
            await self.manager.stop(record, person)
        else:
            await self.manager.start(record, person)
        self.send(self.manager.describe(record, person))


class LinkHandler(ApiHandler):
    """``api/links``: a share link signed by the service's read-only identity (``share.py``),
    for a file of the caller's personal bucket or of a project they belong to now."""

    async def post(self):
        signer = self.settings.get("datalab_share_signer")
        if signer is None:
            raise ApiError(503, "No signing identity for share links on this platform.",
                           "Pas d'identité de signature pour les liens de partage sur cette plateforme.")
        app = self.settings["datalab_config"]
        person = await self.manager.users.person(self.current_user["name"], fresh=True)
        readable = app.credentials.readable_buckets(person.name, person.groups)
        bucket, key, seconds = check_request(self.body(), readable)
        url = await asyncio.get_running_loop().run_in_executor(None, signer.sign, bucket, key, seconds)
        app.log.info("share link: %s/%s for %s, %d s", bucket, key, person.name, seconds)
        self.send({"url": url, "expires_in": seconds, "expires_at": time.time() + seconds,
                   "signed_by": "datalab"})


class EnvHandler(ApiHandler):
    async def get(self):
        person = await self.person()
        # the caller's own token (its server's), for services reached through the proxy
        token = self.hub_auth.get_token(self, in_cookie=False) or None
        self.send({"env": self.manager.environment(person, token)})


class NotFoundHandler(ApiHandler):
    async def prepare(self):
        await super().prepare()
        raise ApiError(404, "No such API path.", "Ce chemin d'API n'existe pas.")


def api_handlers(prefix):
    api = prefix + "api/"
    owner_name = r"(?P<owner>[a-z0-9-]{1,64})/(?P<name>[a-z0-9-]{1,64})"
    return [
        (api + "catalog", CatalogHandler),
        (api + "services", ServicesHandler),
        (api + "services/" + owner_name, ServiceHandler),
        (api + "services/" + owner_name + "/logs", LogsHandler),
        (api + "services/" + owner_name + "/events", EventsHandler),
        (api + "services/" + owner_name + "/share", ShareHandler),
        (api + "services/" + owner_name + r"/(?P<action>stop|start)", ActionHandler),
        (api + "env", EnvHandler),
        (api + "links", LinkHandler),
        (api + ".*", NotFoundHandler),
    ]
