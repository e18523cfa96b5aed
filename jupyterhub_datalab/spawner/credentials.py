"""``CredentialsMixin``: the user's S3 and Vault credentials, written once for every
spawner. At each start it exchanges the user's datalab identity token for S3 and Vault
credentials (:mod:`jupyterhub_datalab.credentials`) and hands them to the server as the
standard environment variables (boto3, s3fs, pandas, duckdb and hvac work with no
configuration), plus Onyxia's names so Onyxia images work as is."""

import asyncio

from traitlets import HasTraits, Integer, Unicode

from ..credentials import CredentialsError, s3_credentials, vault_environment
from ..names import env_suffix
from ..server.secrets import injected_secrets
from ..serverlimit import STARTED


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
