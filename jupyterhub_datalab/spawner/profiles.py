"""``CatalogMixin``: the profile logic, written once for every spawner.

The spawn page (catalog cards, then the entry's options as a form), the server-side
check of every option (form posts and the REST API alike go through
``apply_user_options``), trainings' material, and progress messages. Each spawner only
says how to run a checked ``Launch`` (``apply_launch``, ``put_training_material``).
"""

import asyncio

from tornado import web
from traitlets import Bool, HasTraits, Instance, Unicode, default

from .. import trainings
from ..catalog import DatalabCatalog, OptionsError
from ..i18n import pick_language
from ..messages import say


class CatalogMixin(HasTraits):
    """Profiles from the catalog: form, server-side checks, progress. Spawner-agnostic."""

    catalog = Instance(DatalabCatalog, help="The catalog this spawner offers (configure ``DatalabCatalog``).")

    @default("catalog")
    def _default_catalog(self):
        return DatalabCatalog(parent=self)

    default_entry = Unicode(
        "jupyter-python", config=True,
        help="""The entry started when a request names none (an API call without options,
        a spawn from an old bookmark). It must be an environment of the catalog.""",
    )

    training_folder = Unicode(
        trainings.FOLDER, config=True,
        help="""The folder of the user's workspace where a training's material is put, in
        ``<training_folder>/<entry id>/``: only missing files are copied at each start, so a
        user's edited copy is kept. The server opens the training's first notebook there.""",
    )

    launch = None  # the checked Launch of the current start

    def unavailable(self, entry):
        """Why ``entry`` cannot run with this spawner ({en, fr}), or None. Overridden per backend."""
        return

    async def _user_context(self):
        """(groups, claims) of the user: who may use which entry."""
        auth_state = await self.user.get_auth_state() or {}
        claims = auth_state.get("oauth_user") or {}
        return sorted(g.name for g in self.user.groups), claims

    async def catalog_choices(self, values=None):
        """The entries this user may start, with their resolved schemas."""
        groups, claims = await self._user_context()
        context = self.catalog.context(self.user.name, groups, claims.get("email", ""))
        choices = []
        for entry in self.catalog.entries("environment"):
            if self.catalog.allowed(entry, groups, claims):
                choices.append({"entry": entry, "schema": self.catalog.schema(entry, context),
                                "unavailable": self.unavailable(entry), "values": None})
        return choices

    @default("options_form")
    def _default_options_form(self):
        return self._render_catalog_form

    async def _render_catalog_form(self, spawner):
        from ..profile_form import render_form

        previous = self.orm_spawner.user_options if self.orm_spawner else None
        choices = await self.catalog_choices()
        selected = None
        if isinstance(previous, dict) and isinstance(previous.get("entry"), str):
            selected = previous["entry"]
            for choice in choices:
                if choice["entry"].id == selected and isinstance(previous.get("options"), dict):
                    choice["values"] = previous["options"]
        notices = await self.form_notices() if hasattr(self, "form_notices") else []
        return render_form(choices, selected=selected, notices=notices)

    @default("options_from_form")
    def _default_options_from_form(self):
        return self._parse_catalog_form

    def _parse_catalog_form(self, formdata):
        from ..profile_form import parse_form

        # the schemas only shape the values; apply_user_options checks them for this user
        context = self.catalog.context(self.user.name)
        schemas = {e.id: self.catalog.schema(e, context) for e in self.catalog.entries("environment")}
        return parse_form(formdata, schemas)

    def options_from_query(self, query_data):
        """Query arguments of ``/hub/spawn?...`` never start a server (launch links).

        JupyterHub starts a server at once when its spawn page is opened with query
        arguments: any link (an e-mail, an image on a page) would start servers with
        options nobody reviewed. Here they are refused: the spawn page shows the form
        with a link to the same options as a launch link (``/hub/datalab/launch/...``),
        which pre-fills the form for the user to review and start. The REST API and the
        form's post are unchanged.
        """
        from ..launch_urls import link

        data = {k: v[-1] if isinstance(v, list) and v else v for k, v in (query_data or {}).items()}
        entry = data.pop("entry", None) or self.default_entry
        options = {k.removeprefix(f"{entry}/"): v for k, v in data.items() if isinstance(v, str)}
        url = link(str(entry), options, server=self.name, hub_prefix=self.hub.base_url if self.hub else "/hub/")
        message = (f"A link does not start a server by itself: choose below and press Start, or "
                   f"review these options with their launch link {url} / Un lien ne démarre pas de "
                   f"serveur à lui seul : choisissez ci-dessous puis cliquez sur Start, ou vérifiez "
                   f"ces options avec leur lien de lancement {url}")
        error = web.HTTPError(400, "query arguments do not start servers; use a launch link")
        error.jupyterhub_message = message  # the spawn page shows it above the form
        raise error

    @default("apply_user_options")
    def _default_apply_user_options(self):
        return self._check_user_options

    async def _check_user_options(self, spawner, user_options):
        """Every start goes through here: refuse with a 400 naming the field, or set up the launch."""
        self._progress_events, self._catalog_started = [], False
        user_options = user_options or {}
        if not isinstance(user_options, dict):
            raise web.HTTPError(400, "user_options must be an object: {\"entry\": ..., \"options\": {...}}")
        entry_id = user_options.get("entry") or self.default_entry
        groups, claims = await self._user_context()
        # one language rule for the spawn page, JupyterLab and the API (i18n.pick_language);
        # refusals and progress in that language, both when the caller named none
        self.language = self.user_language(user_options, claims)
        self.asked_language = self.language if self._language_candidates(user_options, claims) else None
        try:
            launch = self.catalog.launch(entry_id, user_options.get("options") or {},
                                         username=self.user.name, groups=groups, claims=claims)
        except OptionsError as e:
            self.log.info("Refused options of %s for %s: %s", self._log_name, entry_id, e)
            raise self.refusal(400, f"Option {e.field}: {e.en}", f"Option {e.field} : {e.fr}") from None
        reason = self.unavailable(launch.entry)
        if reason:
            raise self.refusal(400, f"{launch.entry.text('name')} cannot run here: {reason['en']}",
                               f"{launch.entry.text('name', 'fr')} ne peut pas démarrer ici : {reason['fr']}")
        self.launch = launch
        self.progress_message(5, f"{launch.entry.text('name')} {launch.version}: options checked",
                              f"{launch.entry.text('name', 'fr')} {launch.version} : options vérifiées")
        await self.apply_launch(launch)
        if launch.entry.training:
            await self.prepare_training(launch, self.language)

    async def apply_launch(self, launch):
        """Turn a checked Launch into this spawner's settings. Each backend implements it."""
        raise NotImplementedError

    def _language_candidates(self, user_options, claims):
        """What says the person's language: the request's ``lang``, the browser's
        Accept-Language (of the spawn request), the login's ``locale`` claim; empty ones left out."""
        handler = getattr(self, "handler", None)
        header = handler.request.headers.get("Accept-Language", "") if handler is not None else ""
        return [c for c in (user_options.get("lang"), header, claims.get("locale"))
                if isinstance(c, str) and c.strip()]

    def user_language(self, user_options, claims):
        """``en`` or ``fr``: the request's ``lang``, else the browser's, else the login's
        ``locale`` claim, else English."""
        return pick_language(*self._language_candidates(user_options, claims))

    asked_language = None  # the person's language when they named one, else None: both

    def refusal(self, status, en, fr):
        """The hub's adapter of a bilingual refusal: an HTTPError the spawn page and the REST
        API show, in the person's language (both when they named none)."""
        error = web.HTTPError(status, say(en, fr, self.asked_language))
        error.jupyterhub_message = error.log_message
        return error

    async def prepare_training(self, launch, lang):
        """A training: its material into the workspace, and its first notebook (in ``lang``)
        as the default URL."""
        folder = trainings.folder(launch.entry, self.training_folder)
        self.default_url = trainings.default_url(launch.entry, lang, self.training_folder)
        self.progress_message(8, "Copying the training material", "Copie du support de formation")
        try:
            await self.put_training_material(launch, folder)
        except trainings.MaterialError as e:
            self.log.warning("Training material of %s for %s: %s", launch.entry.id, self._log_name, e)
            raise self.refusal(500, e.en, e.fr) from None

    async def put_training_material(self, launch, folder):
        """Put the training's material into ``folder`` (relative to the workspace), copying
        only missing files. Each backend implements it (see :mod:`jupyterhub_datalab.trainings`)."""
        raise NotImplementedError

    _progress_events = None

    def progress_message(self, progress, en, fr):
        """Queue a progress event for the spawn page, in the person's language (both when
        they named none: the page shows one line)."""
        if self._progress_events is None:
            self._progress_events = []
        self._progress_events.append({"progress": progress, "message": say(en, fr, self.asked_language)})

    def launch_env(self):
        """Variables of the launch: the entry's and the options' (Onyxia's names: GIT_*, PERSONAL_INIT_*)."""
        launch = self.launch
        if launch is None:
            return {}
        return {"DATALAB_ENTRY": launch.entry.id, "DATALAB_ENTRY_VERSION": launch.version,
                "DATALAB_IMAGE": launch.image, **launch.env}

    async def progress(self):
        """Our own steps first (options, credentials), then the backend's, with ours
        that come later (a namespace, a Secret) slipped in between."""
        sent = 0

        def queued():
            nonlocal sent
            events = (self._progress_events or [])[sent:]
            sent += len(events)
            return events

        while not self._catalog_started and self._start_pending:
            for event in queued():
                yield event
            await asyncio.sleep(0.2)
        for event in queued():
            yield event
        async for event in super().progress():
            for own in queued():
                yield own
            yield event
        for event in queued():
            yield event

    _catalog_started = Bool(False)

