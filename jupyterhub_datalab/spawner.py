"""Spawners that start a user's JupyterLab with the datalab extensions loaded.

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
from traitlets import HasTraits, Integer, Unicode, default

from .credentials import CredentialsError, s3_credentials, vault_login


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
        if self.s3_endpoint:
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
        if self.vault_addr:
            try:
                vault = await loop.run_in_executor(None, lambda: vault_login(
                    identity, self.vault_addr, self.vault_role, self.vault_jwt_mount))
                vault.pop("expires_at")
                top_dir = self.vault_user_dir_template.format(username=name)
                env.update(vault)
                env.update({"VAULT_MOUNT": self.vault_kv_mount, "VAULT_TOP_DIR": top_dir,
                            "VAULT_PERSONAL_PATH": f"{self.vault_kv_mount}/{top_dir}"})
                for project in self.projects():
                    env[f"VAULT_PROJECT_PATH_{env_suffix(project)}"] = (
                        f"{self.vault_kv_mount}/projects/{project}")
                injected = await loop.run_in_executor(None, _injected_secrets, env)
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

    async def start(self):
        self._credential_env = await self.exchange_credentials()
        return await super().start()

    def get_env(self):
        env = super().get_env()
        env["DATALAB_USER"] = self.user.name
        env.update(self._credential_env or {})
        return env


def _injected_secrets(env):
    """Keys and values of the secrets the user marked for injection."""
    from .server.secrets import Secrets, SecretsError

    try:
        return Secrets(env).injected_environment()
    except SecretsError:
        return {}


def env_suffix(name):
    """``stats-2024`` -> ``STATS_2024``, for variable names."""
    return name.upper().replace("-", "_")


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


class DatalabLocalSpawner(CredentialsMixin, SimpleLocalProcessSpawner):
    """Start each user's JupyterLab as a local process (the embedded default)."""

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

    def get_args(self):
        args = super().get_args()
        if os.geteuid() == 0 and "--allow-root" not in args:
            # jupyter-server refuses to run as root without it (containers, CI)
            args.append("--allow-root")
        return args
