"""Companion lifecycle and access checks: what every handler calls, the one place that decides.

Who may do what (``access``):

- the **owner** sees, opens, stops, starts, shares and deletes;
- if shared with a project, its **members** see it, open its web UI and get its
  connection variables, nothing more (403 when they try more);
- anybody else gets the same 404 as for a service that does not exist.
"""

import asyncio
import json
import re
import time

from ..catalog import OptionsError, drives
from ..companions import BackendError, Companion
from ..companions.plan import make_plan
from ..credentials import CredentialsError
from ..secrets import injected_secrets
from ..identity import PROJECT_SLOTS
from ..names import MAX_LENGTH, companion_suffix, normalize_name, user_namespace
from .errors import ApiError, not_found

OWNER, MEMBER = "owner", "member"
RUNNING, STOPPED = "running", "stopped"  # what the owner wants; ``status`` is what is
_NAME_CHARS = re.compile(r"^[A-Za-z0-9 _.-]+$")


def clean_name(raw):
    """A service name from what a person typed: ``My DB`` -> ``my-db``; hostile input -> 400."""
    if not isinstance(raw, str):
        raise ApiError(400, "Name: expected text.", "Nom : du texte est attendu.")
    raw = raw.strip()
    if len(raw) > MAX_LENGTH:
        raise ApiError(400, f"Name: at most {MAX_LENGTH} characters.",
                       f"Nom : {MAX_LENGTH} caractères au plus.")
    if not _NAME_CHARS.match(raw) or ".." in raw:
        raise ApiError(400, "Name: use letters, digits and '-' only, e.g. 'my-database'.",
                       "Nom : uniquement des lettres, des chiffres et '-', par exemple 'ma-base'.")
    slug = re.sub(r"[ _.-]+", "-", raw.lower()).strip("-")
    if not slug or not slug[0].isalpha():
        raise ApiError(400, "Name: it must start with a letter, e.g. 'my-database'.",
                       "Nom : il doit commencer par une lettre, par exemple 'ma-base'.")
    return normalize_name(slug)


class Record:
    """A companion and what the service keeps beside it."""

    def __init__(self, companion, desired=RUNNING, events=None):
        self.companion = companion
        self.desired = desired
        self.events = list(events or [])
        self.lock = asyncio.Lock()  # one lifecycle action at a time

    def event(self, en, fr=None):
        self.events.append({"time": time.time(), "message": en if not fr or fr == en else f"{en} / {fr}"})


class CompanionManager:
    def __init__(self, app, backend, catalog, store, users, log):
        self.app, self.backend, self.catalog = app, backend, catalog
        self.store, self.users, self.log = store, users, log
        self.records = {}  # "owner/name" -> Record
        self._create_lock = asyncio.Lock()

    # -- access ------------------------------------------------------------------------

    def access(self, record, person):
        c = record.companion
        if c.owner == person.name:
            return OWNER
        if c.shared and person.member_of(c.project):
            return MEMBER
        return None

    def find(self, owner, name, person, need=MEMBER):
        """The record if ``person`` may do what needs ``need``; 404 or 403 otherwise."""
        record = self.records.get(f"{owner}/{name}")
        role = self.access(record, person) if record else None
        if role is None:
            raise not_found(owner, name)
        if need == OWNER and role != OWNER:
            raise ApiError(403, f"Only {owner} can do this to {name}.",
                           f"Seul {owner} peut faire cela à {name}.")
        return record

    def visible(self, person):
        return [r for r in self.records.values() if self.access(r, person)]

    # -- what people see ---------------------------------------------------------------

    def prefix(self, companion):
        return f"{self.app.service_prefix}open/{companion.owner}/{companion.name}/"

    def describe(self, record, person):
        c = record.companion
        entry = self.catalog.get(c.entry)
        try:
            ui = self.backend.ui_target(c)
            connection = self.backend.connection(c) or {}
        except Exception as e:  # a backend bug must not hide the list
            self.log.warning("Backend could not describe %s: %s", c.key, e)
            ui, connection = None, {}
        return {
            "owner": c.owner, "name": c.name, "entry": c.entry, "version": c.version,
            "entry_name": entry.name if entry else {"en": c.entry, "fr": c.entry},
            "icon": entry.icon if entry else "",
            "status": c.status, "message": c.message, "project": c.project, "shared": c.shared,
            "created": c.created, "mine": c.owner == person.name,
            "can_delete": c.owner == person.name,
            "url": self.prefix(c) if ui else None,
            "suffix": companion_suffix(c.owner, c.name, person.name),
            "connection": connection,
        }

    async def refresh(self, record):
        """Ask the backend how it is; keep and save the answer."""
        c = record.companion
        if record.desired == STOPPED and c.status == "stopped":
            return
        try:
            status, message = await self.backend.status(c)
        except BackendError as e:
            status, message = "failed", f"{e.en} / {e.fr}" if e.fr != e.en else e.en
        except Exception as e:
            self.log.exception("Status of %s", c.key)
            status, message = c.status, f"The status cannot be read now: {e}"
        if (status, message) != (c.status, c.message):
            if status != c.status:
                record.event(f"Status: {status}" + (f" ({message})" if message else ""),
                             f"État : {status}" + (f" ({message})" if message else ""))
            c.status, c.message = status, message
            self.save(record)

    def save(self, record):
        self.store.save(record.companion, record.desired, record.events)

    # -- lifecycle ---------------------------------------------------------------------

    async def credentials(self, owner):
        """The owner's S3 credentials (for artifacts in their space), or {} without S3."""
        config = self.app.credentials
        if not config.s3_endpoint:
            return {}
        identity = await self.users.identity_token(owner)
        if not identity:
            raise ApiError(401, f"No identity token for {owner}: log in again to the hub.",
                           f"Aucun jeton d'identité pour {owner} : reconnectez-vous au hub.")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, config.s3_environment, identity, owner)
        except CredentialsError as e:
            raise ApiError(503, f"Your S3 credentials could not be obtained: {e.en}",
                           f"Vos identifiants S3 n'ont pas pu être obtenus : {e.fr}") from None

    def check(self, person, entry_id, options):
        try:
            return self.catalog.launch(entry_id, options, username=person.name, groups=person.groups,
                                       claims=person.claims, kind="service")
        except OptionsError as e:
            field = e.field if e.field in ("entry", "options") else f"option {e.field}"
            raise ApiError(400, f"{field[0].upper() + field[1:]}: {e.en}",
                           f"{'Entrée' if e.field == 'entry' else field[0].upper() + field[1:]} : {e.fr}",
                           field=e.field) from None

    def unavailable(self, entry):
        """Why the backend cannot run ``entry`` here ({en, fr}), or None."""
        check = getattr(self.backend, "unavailable", None)
        if callable(check):
            return check(entry)
        return None

    def wants_credentials(self, launch):
        """Only entries that use the owner's credentials (``{credential.X}``) are given them."""
        entry = launch.entry
        sections = [getattr(entry, "service", None), entry.local, entry.kubernetes]
        return launch.s3 and "{credential." in json.dumps(sections)

    async def secrets_for(self, owner, launch):
        """The owner's secrets marked for injection, for entries that ask (``sets: vault``).

        Read with the owner's own Vault login, so only what they may read; values are
        never stored with the companion's record nor logged (names only)."""
        config = self.app.credentials
        if not (config.vault_addr and launch.vault and drives(launch.entry, "vault")):
            return {}
        identity = await self.users.identity_token(owner)
        if not identity:
            return {}
        # the projects the owner's identity token carries a slot for, as the spawner does
        groups = (await self.users.person(owner)).groups[:PROJECT_SLOTS]
        loop = asyncio.get_running_loop()
        try:
            env = await loop.run_in_executor(None, config.vault_environment, identity, owner, groups)
        except CredentialsError as e:
            raise ApiError(503, f"Your Vault secrets could not be read: {e.en}",
                           f"Vos secrets Vault n'ont pas pu être lus : {e.fr}") from None
        found = await loop.run_in_executor(None, injected_secrets, env)
        self.log.info("Injecting %d secret variables into %s's companion: %s", len(found), owner,
                      ", ".join(sorted(found)) or "-")
        return found

    async def _start(self, record, launch):
        c = record.companion
        credentials = await self.credentials(c.owner) if self.wants_credentials(launch) else {}
        launch.secret_env = await self.secrets_for(c.owner, launch)
        c.endpoint["prefix"] = self.prefix(c)
        c.status, c.message = "starting", ""
        record.desired = RUNNING
        self.save(record)
        await self.backend.launch(c, make_plan(c, launch, credentials))
        self.save(record)

    async def create(self, person, body):
        entry_id, options = body.get("entry"), body.get("options")
        launch = self.check(person, entry_id, options)
        reason = self.unavailable(launch.entry)
        if reason:
            raise ApiError(400, f"Entry: {reason['en']}", f"Entrée : {reason['fr']}")
        async with self._create_lock:
            if body.get("name") not in (None, ""):
                name = clean_name(body["name"])
                if f"{person.name}/{name}" in self.records:
                    raise ApiError(409, f"You already have a service named {name}: choose another name.",
                                   f"Vous avez déjà un service nommé {name} : choisissez un autre nom.")
            else:
                base, n = clean_name(launch.entry.id[:MAX_LENGTH - 4]), 1
                while f"{person.name}/{base}-{n}" in self.records:
                    n += 1
                name = f"{base}-{n}"
            mine = sum(1 for r in self.records.values() if r.companion.owner == person.name)
            if mine >= self.app.max_services_per_user:
                raise ApiError(403, f"You have {mine} services, the most allowed: delete one first.",
                               f"Vous avez {mine} services, le maximum permis : supprimez-en un d'abord.")
            companion = Companion(owner=person.name, name=name, entry=launch.entry.id,
                                  version=launch.version, options=launch.options,
                                  namespace=user_namespace(person.name), created=time.time())
            record = self.records[companion.key] = Record(companion)
        record.event(f"Launched by {person.name}: {launch.entry.text('name')} {launch.version}",
                     f"Lancé par {person.name} : {launch.entry.text('name', 'fr')} {launch.version}")
        try:
            async with record.lock:
                await self._start(record, launch)
        except Exception as e:
            # nothing half-made stays behind: the record and whatever the backend began
            self.records.pop(companion.key, None)
            self.store.remove(companion.owner, companion.name)
            try:
                await self.backend.delete(companion)
            except Exception as cleanup:
                self.log.warning("Cleaning up %s after a failed launch: %s", companion.key, cleanup)
            raise self._explain(e, "launch") from None
        self.log.info("%s launched %s (%s %s)", person.name, companion.key, companion.entry,
                      companion.version)
        return record

    def _explain(self, error, action):
        if isinstance(error, ApiError):
            return error
        if isinstance(error, BackendError):
            return ApiError(error.status if 400 <= error.status < 600 else 500, error.en, error.fr)
        self.log.error("Could not %s a service", action, exc_info=error)
        return ApiError(500, f"The service could not {action}: {type(error).__name__}: {error}",
                        f"Le service n'a pas pu {'démarrer' if action == 'launch' else 'agir'} : "
                        f"{type(error).__name__} : {error}")

    async def start(self, record, person=None):
        """Start a stopped (or failed) companion again, with its data."""
        c = record.companion
        async with record.lock:
            if record.desired == RUNNING and c.status in ("starting", "ready"):
                return record
            owner = await self.users.person(c.owner, fresh=True)
            launch = self.check(owner, c.entry, c.options)
            try:
                await self._start(record, launch)
            except Exception as e:
                c.status, error = "failed", self._explain(e, "start")
                c.message = error.message
                self.save(record)
                raise error from None
            record.event(f"Started by {person.name if person else 'the datalab service'}",
                         f"Démarré par {person.name if person else 'le service datalab'}")
            self.save(record)
        return record

    async def stop(self, record, person=None, keep_desired=False):
        c = record.companion
        async with record.lock:
            try:
                await self.backend.stop(c)
            except Exception as e:
                raise self._explain(e, "stop") from None
            if not keep_desired:
                record.desired = STOPPED
                record.event(f"Stopped by {person.name if person else 'the datalab service'}",
                             f"Arrêté par {person.name if person else 'le service datalab'}")
            c.status, c.message = "stopped", ""
            self.save(record)
        return record

    async def delete(self, record, person):
        c = record.companion
        async with record.lock:
            try:
                await self.backend.delete(c)
            except Exception as e:
                raise self._explain(e, "delete") from None
            self.records.pop(c.key, None)
            self.store.remove(c.owner, c.name)
        self.log.info("%s deleted %s", person.name, c.key)

    async def share(self, record, person, project):
        if not isinstance(project, str) or not person.member_of(project):
            projects = ", ".join(person.groups) or "-"
            raise ApiError(400, f"Project: you can share only with one of your projects ({projects}).",
                           f"Projet : vous ne pouvez partager qu'avec l'un de vos projets ({projects}).")
        c = record.companion
        c.project, c.shared = project, True
        record.event(f"Shared with project {project}", f"Partagé avec le projet {project}")
        self.save(record)
        await self._share_changed(record)
        return record

    async def unshare(self, record):
        c = record.companion
        if c.shared:
            record.event(f"No longer shared with project {c.project}",
                         f"N'est plus partagé avec le projet {c.project}")
        c.project, c.shared = None, False
        self.save(record)
        await self._share_changed(record)
        return record

    async def _share_changed(self, record):
        """Let the backend open (or close) the way to a running companion for members."""
        try:
            await self.backend.share_changed(record.companion)
        except Exception as e:
            raise self._explain(e, "change who reaches it") from None

    async def logs(self, record, tail):
        try:
            return await self.backend.logs(record.companion, tail)
        except Exception as e:
            raise self._explain(e, "read logs") from None

    async def events(self, record):
        try:
            backend = await self.backend.events(record.companion)
        except Exception as e:
            self.log.warning("Events of %s: %s", record.companion.key, e)
            backend = []
        return sorted(record.events + list(backend or []), key=lambda e: e.get("time", 0))

    def environment(self, person, token=None):
        """Connection variables of the ready services ``person`` may use (see ``docs``).

        Every variable is published with a suffix naming its service (``DATABASE_URL_MY_DB``;
        owner and name for a shared service of someone else), and also plain
        (``DATABASE_URL``) when exactly one of those services provides it, or all give it the
        same value (``MLFLOW_DISABLE_TELEMETRY``). A service reached
        through the proxy gets the caller's own hub ``token`` in its entry's ``client_token``
        variable (``MLFLOW_TRACKING_TOKEN``): the token the caller's server already holds.
        """
        env, plain = {}, {}
        records = sorted(self.visible(person), key=lambda r: (r.companion.owner != person.name,
                                                              r.companion.created))
        for record in records:
            c = record.companion
            if c.status != "ready":
                continue
            try:
                variables = dict(self.backend.connection(c) or {})
                via_proxy = self.backend.via_proxy(c)
            except Exception as e:
                self.log.warning("Connection of %s: %s", c.key, e)
                continue
            entry = self.catalog.get(c.entry)
            client_token = (entry.service or {}).get("client_token") if entry else None
            if via_proxy and client_token and token:
                variables[client_token] = token
            suffix = companion_suffix(c.owner, c.name, person.name)
            for var, value in variables.items():
                env[f"{var}_{suffix}"] = str(value)
                plain.setdefault(var, []).append(str(value))
        for var, values in plain.items():
            if len(set(values)) == 1 and var not in env:
                env[var] = values[0]
        return env

    # -- startup, polling, shutdown ----------------------------------------------------

    async def load(self):
        """What the state dir and the backend know: companions found again after a restart."""
        for companion, desired, events in self.store.load(self.log):
            self.records[companion.key] = Record(companion, desired, events)
        try:
            discovered = await self.backend.discover()
        except Exception as e:
            self.log.error("The backend could not list its companions: %s", e)
            discovered = []
        for found in discovered:
            record = self.records.get(found.key)
            if record is None:  # running, but its file was lost: adopt it
                record = self.records[found.key] = Record(found, RUNNING if found.status != "stopped" else STOPPED)
                record.event("Found again by the datalab service", "Retrouvé par le service datalab")
            else:
                c = record.companion
                c.endpoint = {**c.endpoint, **found.endpoint}
                c.secrets = c.secrets or found.secrets
            self.save(record)
        self.log.info("%d companion services known", len(self.records))

    async def resume(self):
        """Start again what its owner wants running and what is not (after a stack restart)."""
        for record in list(self.records.values()):
            await self.refresh(record)
            c = record.companion
            if record.desired == RUNNING and c.status == "stopped":
                self.log.info("Resuming %s", c.key)
                for attempt in range(5):
                    try:
                        await self.start(record)
                        break
                    except ApiError as e:
                        if e.status not in (502, 503) or attempt == 4:
                            self.log.warning("Could not resume %s: %s", c.key, e.message)
                            break
                        await asyncio.sleep(1 + attempt)  # the hub may still be starting

    async def poll(self):
        for record in list(self.records.values()):
            if record.desired == RUNNING and not record.lock.locked():
                await self.refresh(record)

    async def stop_all(self):
        """Stop every running companion, keeping that their owners want them running."""
        await asyncio.gather(*(self.stop(r, keep_desired=True) for r in list(self.records.values())
                               if r.companion.status != "stopped"), return_exceptions=True)
