"""``CredentialsMixin``: the user's S3 and Vault credentials, written once for every
spawner. At each start it exchanges the user's datalab identity token for S3 and Vault
credentials (:mod:`jupyterhub_datalab.credentials`) and hands them to the server as the
standard environment variables (boto3, s3fs, pandas, duckdb and hvac work with no
configuration), plus Onyxia's names so Onyxia images work as is."""

import asyncio

from traitlets import HasTraits, Instance, default

from ..credentials import CredentialsError, DatalabCredentials
from ..secrets import injected_secrets
from ..serverlimit import STARTED


class CredentialsMixin(HasTraits):
    """Inject the user's S3 and Vault credentials into the servers they start."""

    credentials = Instance(
        DatalabCredentials,
        help="Where S3 and Vault are, shared with the datalab service (configure ``DatalabCredentials``).",
    )

    @default("credentials")
    def _default_credentials(self):
        return DatalabCredentials(parent=self)

    _credential_env = None

    def projects(self):
        """The user's projects (JupyterHub groups from the login), in token-slot order."""
        from ..identity import PROJECT_SLOTS

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
        name, config = self.user.name, self.credentials
        launch = getattr(self, "launch", None)
        want_s3 = config.s3_endpoint and (launch is None or launch.s3)
        want_vault = config.vault_addr and (launch is None or launch.vault)
        if want_s3:
            self._say(20, "Getting your S3 credentials", "Obtention de vos identifiants S3")
            try:
                env.update(await loop.run_in_executor(None, lambda: config.s3_environment(
                    identity, name, self.projects(), create_buckets=True)))
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
        """The user's Vault login as variables (``DatalabCredentials.vault_environment``)."""
        return await asyncio.get_running_loop().run_in_executor(
            None, self.credentials.vault_environment, identity, self.user.name, self.projects())

    async def form_notices(self):
        """What the spawn page says about credentials: which secrets the server will get.

        Names only, read with the user's own Vault login; nothing is said when Vault is
        off or unreachable (the spawn itself reports that)."""
        auth_state = await self.user.get_auth_state() or {}
        identity = auth_state.get("identity_token")
        if not (self.credentials.vault_addr and identity):
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

