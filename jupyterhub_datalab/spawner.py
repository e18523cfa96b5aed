"""Spawners that start what a user chose in the catalog, with their credentials.

``CatalogMixin`` is the profile logic, written once for every spawner: the spawn
page (catalog cards, then the entry's options as a form), the server-side check of
every option (form posts and the REST API alike go through ``apply_user_options``),
and progress messages. Each spawner only says how to run a checked ``Launch``.

``CredentialsMixin`` is written once for every spawner: at each start it exchanges
the user's datalab identity token for S3 and Vault credentials and hands them to
the server as the standard environment variables (boto3, s3fs, pandas, duckdb and
hvac work with no configuration), plus Onyxia's names so Onyxia images work as is.

``DatalabLocalSpawner`` is the embedded default: each user's server is a local
process whose home lives under a configurable root, so files survive restarts.
It runs every server as the hub's OS user: S3 and Vault isolation come from
per-user credentials, but local files are only as separated as one OS account
allows. Use it for one-machine platforms and demos; use Kubernetes for
multi-tenant production.
"""

import asyncio
import os

from jupyterhub.spawner import SimpleLocalProcessSpawner
from tornado import web
from traitlets import Bool, HasTraits, Instance, Integer, List, Unicode, default

from . import sandbox, trainings
from .catalog import DatalabCatalog, OptionsError
from .credentials import CredentialsError, s3_credentials, vault_environment
from .i18n import pick_language
from .names import env_suffix
from .server.secrets import injected_secrets
from .serverlimit import STARTED


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
        from .profile_form import render_form

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
        from .profile_form import parse_form

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
        from .launch_urls import link

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
        try:
            launch = self.catalog.launch(entry_id, user_options.get("options") or {},
                                         username=self.user.name, groups=groups, claims=claims)
        except OptionsError as e:
            self.log.info("Refused options of %s for %s: %s", self._log_name, entry_id, e)
            raise web.HTTPError(400, refusal(e.field, e.en, e.fr)) from None
        reason = self.unavailable(launch.entry)
        if reason:
            raise web.HTTPError(400, f"{launch.entry.text('name')} cannot run here: {reason['en']} / "
                                     f"{launch.entry.text('name', 'fr')} ne peut pas démarrer ici : {reason['fr']}")
        self.launch = launch
        # one language rule for the spawn page, JupyterLab and the API: server/language.py
        self.language = self.user_language(user_options, claims)
        self.progress_message(5, f"{launch.entry.text('name')} {launch.version}: options checked",
                              f"{launch.entry.text('name', 'fr')} {launch.version} : options vérifiées")
        await self.apply_launch(launch)
        if launch.entry.training:
            await self.prepare_training(launch, self.language)

    async def apply_launch(self, launch):
        """Turn a checked Launch into this spawner's settings. Each backend implements it."""
        raise NotImplementedError

    def user_language(self, user_options, claims):
        """``en`` or ``fr``: the request's ``lang``, else the browser's (Accept-Language of
        the spawn request), else the login's ``locale`` claim, else English."""
        handler = getattr(self, "handler", None)
        header = handler.request.headers.get("Accept-Language", "") if handler is not None else ""
        return pick_language(user_options.get("lang"), header, claims.get("locale"))

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
            error = web.HTTPError(500, f"{e.en} / {e.fr}")
            error.jupyterhub_message = f"{e.en} / {e.fr}"
            raise error from None

    async def put_training_material(self, launch, folder):
        """Put the training's material into ``folder`` (relative to the workspace), copying
        only missing files. Each backend implements it (see :mod:`jupyterhub_datalab.trainings`)."""
        raise NotImplementedError

    _progress_events = None

    def progress_message(self, progress, en, fr):
        """Queue a progress event for the spawn page (both languages, the page shows one line)."""
        if self._progress_events is None:
            self._progress_events = []
        self._progress_events.append({"progress": progress, "message": f"{en} · {fr}"})

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


def refusal(field, en, fr):
    """The one-line message of a refused option, in both languages, naming the field."""
    return f"Option {field}: {en} / Option {field} : {fr}"


class CredentialsMixin(HasTraits):
    """Inject the user's S3 and Vault credentials into the servers they start."""

    s3_endpoint = Unicode(
        "", config=True,
        help="S3 endpoint URL (with STS), e.g. ``https://minio.example.gouv.fr``. Empty: no S3.",
    )
    s3_region = Unicode("us-east-1", config=True, help="S3 region given to clients.")
    s3_role_arn = Unicode(
        "arn:aws:iam::role/DatalabUser", config=True,
        help="Role assumed with the user's datalab identity token (STS AssumeRoleWithWebIdentity).",
    )
    s3_personal_bucket_template = Unicode(
        "user-{username}", config=True,
        help="The user's personal bucket; ``{username}`` is the normalised username.",
    )
    s3_project_bucket_template = Unicode(
        "project-{project}", config=True,
        help="Each project's shared bucket; ``{project}`` is the normalised project name.",
    )
    s3_session_duration = Integer(
        12 * 3600, config=True,
        help="""Lifetime in seconds of the S3 credentials given to a server (STS
        ``DurationSeconds``, within the role's maximum). Kernels read them from the
        environment, so they should outlast a working day; the Storage panel renews its
        own through the hub whenever they expire.""",
    )
    vault_addr = Unicode("", config=True, help="Vault/OpenBao address. Empty: no Vault.")
    vault_role = Unicode("datalab-user", config=True, help="Vault JWT auth role.")
    vault_jwt_mount = Unicode("jwt", config=True, help="Mount path of Vault's JWT auth method.")
    vault_kv_mount = Unicode("secret", config=True, help="The KV v2 mount holding users' secrets.")
    vault_user_dir_template = Unicode(
        "users/{username}", config=True,
        help="The user's directory in the KV mount (Onyxia's ``VAULT_TOP_DIR``).",
    )

    _credential_env = None

    def projects(self):
        """The user's projects (JupyterHub groups from the login), in token-slot order."""
        from .identity import PROJECT_SLOTS

        return sorted(g.name for g in self.user.groups)[:PROJECT_SLOTS]

    async def exchange_credentials(self):
        """Fresh credentials as environment variables; a backend that fails is left out."""
        auth_state = await self.user.get_auth_state() or {}
        identity = auth_state.get("identity_token")
        env = {}
        if not identity:
            self.log.warning("No datalab identity token for %s: no S3/Vault credentials", self.user.name)
            return env
        loop = asyncio.get_running_loop()
        name = self.user.name
        launch = getattr(self, "launch", None)
        want_s3 = self.s3_endpoint and (launch is None or launch.s3)
        want_vault = self.vault_addr and (launch is None or launch.vault)
        if want_s3:
            self._say(20, "Getting your S3 credentials", "Obtention de vos identifiants S3")
            try:
                creds = await loop.run_in_executor(None, lambda: s3_credentials(
                    identity, self.s3_endpoint, self.s3_role_arn, self.s3_region,
                    session_name=name, duration=self.s3_session_duration))
                bucket = self.s3_personal_bucket_template.format(username=name)
                await loop.run_in_executor(None, _ensure_bucket, creds, bucket)
                for project in self.projects():
                    shared = self.s3_project_bucket_template.format(project=project)
                    await loop.run_in_executor(None, _ensure_bucket, creds, shared)
                    env[f"DATALAB_S3_PROJECT_{env_suffix(project)}"] = f"s3://{shared}/"
                env["DATALAB_S3_EXPIRES_AT"] = str(int(creds.pop("expires_at")))
                env["DATALAB_S3_ROLE_ARN"] = self.s3_role_arn
                env.update(creds)
                # Onyxia's images and older clients read these
                host = self.s3_endpoint.split("://", 1)[-1]
                env.update({"AWS_S3_ENDPOINT": host, "S3_ENDPOINT": self.s3_endpoint,
                            "DATALAB_S3_PERSONAL": f"s3://{bucket}/"})
            except CredentialsError as e:
                self.log.warning("S3 credentials for %s: %s", name, e)
        if want_vault:
            self._say(35, "Getting your Vault token and secrets", "Obtention de votre jeton et de vos secrets Vault")
            try:
                env.update(await self._vault_env(identity))
                injected = await loop.run_in_executor(None, injected_secrets, env)
                # values stay out of logs: only the names are said
                self.log.info("Injecting %d secret variables into %s's server: %s",
                              len(injected), name, ", ".join(sorted(injected)) or "-")
                injected = {k: v for k, v in injected.items() if k not in env}
                env.update(injected)
                # names only: the server drops them from new kernels when unmarked
                env["DATALAB_INJECTED_KEYS"] = ",".join(sorted(injected))
            except CredentialsError as e:
                self.log.warning("Vault token for %s: %s", name, e)
        return env

    async def _vault_env(self, identity):
        """The user's Vault login as variables (credentials.vault_environment)."""
        return await asyncio.get_running_loop().run_in_executor(None, lambda: vault_environment(
            identity, self.vault_addr, role=self.vault_role, mount=self.vault_jwt_mount,
            kv_mount=self.vault_kv_mount, projects=self.projects(),
            top_dir=self.vault_user_dir_template.format(username=self.user.name)))

    async def form_notices(self):
        """What the spawn page says about credentials: which secrets the server will get.

        Names only, read with the user's own Vault login; nothing is said when Vault is
        off or unreachable (the spawn itself reports that)."""
        auth_state = await self.user.get_auth_state() or {}
        identity = auth_state.get("identity_token")
        if not (self.vault_addr and identity):
            return []
        try:
            env = await self._vault_env(identity)
        except CredentialsError:
            return []
        loop = asyncio.get_running_loop()
        names = sorted(await loop.run_in_executor(None, injected_secrets, env))
        if not names:
            return []
        listed = ", ".join(names)
        return [{"en": f"Secrets injected as variables when Vault is on: {listed}. "
                       "Mark or unmark them in the Datalab sidebar's Secrets panel.",
                 "fr": f"Secrets injectés en variables si Vault est activé : {listed}. "
                       "Cochez-les ou décochez-les dans le panneau Secrets de la barre Datalab."}]

    def _say(self, progress, en, fr):
        if hasattr(self, "progress_message"):
            self.progress_message(progress, en, fr)

    async def start(self):
        self._credential_env = await self.exchange_credentials()
        launch = getattr(self, "launch", None)
        if launch is not None:
            self._say(50, f"Starting {launch.entry.text('name')} {launch.version}",
                      f"Démarrage de {launch.entry.text('name', 'fr')} {launch.version}")
        self._catalog_started = True
        started = await super().start()
        self._ran_once = True  # kept in the state: this named server counts toward the limit
        return started

    _ran_once = False

    def get_state(self):
        state = super().get_state()
        if self._ran_once:
            state[STARTED] = True
        return state

    def load_state(self, state):
        super().load_state(state)
        self._ran_once = self._ran_once or bool((state or {}).get(STARTED))

    def get_env(self):
        env = super().get_env()
        env["DATALAB_USER"] = self.user.name
        if getattr(self, "language", None):
            env["DATALAB_LANGUAGE"] = self.language
        if hasattr(self, "launch_env"):
            env.update(self.launch_env())
        env.update(self._credential_env or {})
        return env


def _ensure_bucket(creds, bucket):
    """Create the personal bucket on first use, with the user's own credentials."""
    import boto3
    from botocore.exceptions import ClientError

    s3 = boto3.client("s3", endpoint_url=creds["AWS_ENDPOINT_URL"],
                      region_name=creds["AWS_DEFAULT_REGION"],
                      aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
                      aws_session_token=creds["AWS_SESSION_TOKEN"])
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        try:
            s3.create_bucket(Bucket=bucket)
        except ClientError as e:
            raise CredentialsError(f"cannot create the personal bucket {bucket}: "
                                   f"{e.response.get('Error', {}).get('Code')}") from None


class DatalabLocalSpawner(CatalogMixin, CredentialsMixin, SimpleLocalProcessSpawner):
    """Start each user's environment as a local process (the embedded default).

    An entry runs here when its ``local`` section says how and what it needs is
    installed; other entries are shown unavailable with the reason and the fix.
    """

    home_dir_template = Unicode(
        "~/.local/share/datalab/users/{username}",
        config=True,
        help="""
        Where each user's home (their JupyterLab file browser root) lives.
        ``{username}`` is the JupyterHub username; ``~`` expands to the hub's home.
        ``datalab up`` sets it to ``<state-dir>/users/{username}``.
        """,
    )

    @default("home_dir")
    def _default_home_dir(self):
        return os.path.expanduser(self.home_dir_template.format(username=self.user.name))

    @default("default_url")
    def _default_url_default(self):
        return "/lab"

    def unavailable(self, entry):
        return entry.local_unavailable()

    async def apply_launch(self, launch):
        local = launch.entry.local
        if local.get("cmd") and local["cmd"][0] != "jupyterhub-singleuser":
            self.cmd = list(local["cmd"])  # else the admin's (or datalab up's) singleuser command
        if local.get("default_url"):
            self.default_url = local["default_url"]
        # advisory here (one OS account): published as CPU_LIMIT / MEM_LIMIT like every spawner
        self.cpu_limit = launch.cpu
        self.mem_limit = int(launch.memory * 1024**3) if launch.memory else None
        self.environment = {**self.environment, **local.get("env", {})}

    async def put_training_material(self, launch, folder):
        # the home is the server's root: copy (or clone) straight into it, as the hub's user
        dest = os.path.join(self.home_dir, folder)
        copied = await asyncio.get_running_loop().run_in_executor(
            None, trainings.put_material, launch.entry, dest)
        self.log.info("Training %s for %s: %d files copied into %s", launch.entry.id,
                      self._log_name, len(copied), dest)

    sandbox = Bool(
        False, config=True,
        help="""Run each user's server in a bubblewrap sandbox (Debian ``bubblewrap``), as a
        multi-user machine separates its users: a PID namespace of its own (no other user's
        processes, so no other user's credentials in ``/proc/*/environ``), no capabilities,
        the whole filesystem read-only but the user's home, a private ``/tmp``, and the
        ``sandbox_hidden_paths`` replaced by empty directories (the state dir's keys, other
        users' homes). ``datalab up`` turns it on when ``bwrap`` is installed and says so
        when it is not. The network stays shared: S3, Vault and the hub are reached over it.""",
    )

    sandbox_hidden_paths = List(
        Unicode(), config=True,
        help="""What the sandbox hides, each replaced by an empty directory; the user's home,
        the Python environment and the datalab's own code are put back read-only when they
        lie below one. ``datalab up``: its state dir.""",
    )

    def sandboxed(self, cmd):
        """``cmd`` inside bubblewrap (``sandbox``), or a clear error when bwrap is missing."""
        try:
            return sandbox.bwrap_argv(cmd, writable=[self.home_dir], hidden=self.sandbox_hidden_paths,
                                      chdir=self.home_dir)
        except sandbox.SandboxUnavailable as e:
            raise web.HTTPError(500, str(e)) from None

    async def start(self):
        if not self.sandbox:
            return await super().start()
        cmd = list(self.cmd)
        self.cmd = self.sandboxed(cmd)
        try:
            return await super().start()
        finally:
            self.cmd = cmd

    def get_args(self):
        args = super().get_args()
        if os.geteuid() == 0 and "--allow-root" not in args:
            # jupyter-server refuses to run as root without it (containers, CI)
            args.append("--allow-root")
        return args
