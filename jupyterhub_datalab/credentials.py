"""The credential exchange: a datalab identity token in, backend credentials out.

One place for it, used at spawn time, by the datalab service for companions, and by a
user's server for renewal: S3 through STS ``AssumeRoleWithWebIdentity`` (SeaweedFS here;
MinIO and AWS speak the same API) and Vault's JWT login.

``DatalabCredentials`` is where the admin says where S3 and Vault are
(``c.DatalabCredentials.*``): one configurable object that the spawners and the datalab
service both build from the same config, as they do ``DatalabCatalog``. It once was ten
settings written twice (on the spawners and on ``DatalabService``), set twice by the
Helm chart, and the service's project bucket silently kept its default. Framework-free:
no JupyterHub, jupyter-server or tornado here.
"""

import time

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from traitlets import Integer, Unicode, validate
from traitlets.config import LoggingConfigurable

from . import names
from .messages import DatalabError

# what AssumeRoleWithWebIdentity accepts as DurationSeconds (AWS, MinIO, SeaweedFS alike)
STS_MIN_DURATION, STS_MAX_DURATION = 900, 43200


class CredentialsError(DatalabError, RuntimeError):
    """Credentials could not be obtained; the message says why, in English and French."""

    status = 503


def s3_credentials(identity_token, endpoint, role_arn, region="us-east-1",
                   session_name="datalab", duration=None):
    """Temporary S3 credentials for the identity token's user, as standard variables."""
    sts = boto3.client(
        "sts", endpoint_url=endpoint, region_name=region,
        # STS with a web identity is not signed; botocore still wants some credentials
        aws_access_key_id="anonymous", aws_secret_access_key="anonymous",
        config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=15),
    )
    params = {"RoleArn": role_arn, "RoleSessionName": session_name,
              "WebIdentityToken": identity_token}
    if duration:
        if not STS_MIN_DURATION <= int(duration) <= STS_MAX_DURATION:
            # botocore would refuse it as "Parameter validation failed", read as unreachable
            raise CredentialsError(
                500, f"The S3 session duration ({int(duration)} s) must be between {STS_MIN_DURATION} "
                f"and {STS_MAX_DURATION} seconds (STS's limits): ask an administrator to fix "
                "s3_session_duration",
                fr=f"La durée des sessions S3 ({int(duration)} s) doit être comprise entre "
                f"{STS_MIN_DURATION} et {STS_MAX_DURATION} secondes (limites de STS) : demandez à "
                "un administrateur de corriger s3_session_duration")
        params["DurationSeconds"] = int(duration)
    try:
        answer = sts.assume_role_with_web_identity(**params)
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code", "")
        raise CredentialsError(
            401, f"S3 refused the identity token ({code}): log in again, or ask an administrator "
            "to check the S3 STS configuration",
            fr=f"S3 a refusé le jeton d'identité ({code}) : reconnectez-vous, ou demandez à un "
            "administrateur de vérifier la configuration STS de S3",
        ) from None
    except BotoCoreError as e:
        raise CredentialsError(503, f"S3 at {endpoint} cannot be reached: {e}",
                               fr=f"S3 à {endpoint} est injoignable : {e}") from None
    c = answer["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": c["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"],
        "AWS_SESSION_TOKEN": c["SessionToken"],
        "AWS_DEFAULT_REGION": region,
        "AWS_ENDPOINT_URL": endpoint,
        "expires_at": c["Expiration"].timestamp(),
    }


def vault_login(identity_token, addr, role="datalab-user", mount="jwt", timeout=15):
    """A short-lived Vault token for the identity token's user (JWT auth method)."""
    import requests

    try:
        r = requests.post(f"{addr}/v1/auth/{mount}/login", timeout=timeout,
                          json={"role": role, "jwt": identity_token})
    except requests.RequestException as e:
        raise CredentialsError(503, f"Vault at {addr} cannot be reached: {e}",
                               fr=f"Vault à {addr} est injoignable : {e}") from None
    if r.status_code == 503:
        raise CredentialsError(503, f"Vault at {addr} is sealed: ask an administrator to unseal it",
                               fr=f"Vault à {addr} est scellé : demandez à un administrateur de le desceller")
    if r.status_code >= 400:
        raise CredentialsError(
            401, f"Vault refused the identity token (HTTP {r.status_code}): log in again, or ask an "
            "administrator to check Vault's JWT auth configuration",
            fr=f"Vault a refusé le jeton d'identité (HTTP {r.status_code}) : reconnectez-vous, ou "
            "demandez à un administrateur de vérifier la configuration JWT de Vault",
        )
    auth = r.json()["auth"]
    return {
        "VAULT_ADDR": addr,
        "VAULT_TOKEN": auth["client_token"],
        "expires_at": time.time() + auth["lease_duration"],
    }


def vault_environment(identity_token, addr, *, role, mount, kv_mount, top_dir, projects=()):
    """A Vault login for the identity token, as the variables hvac, Onyxia's images and
    the Secrets service read: the token, the KV mount, the user's and projects' paths."""
    vault = vault_login(identity_token, addr, role, mount)
    vault.pop("expires_at")
    # the role and mount the server logs in again with once this token expires (it once
    # used the defaults, failing on any Vault configured otherwise)
    env = {**vault, "VAULT_MOUNT": kv_mount, "VAULT_TOP_DIR": top_dir,
           "VAULT_PERSONAL_PATH": f"{kv_mount}/{top_dir}",
           "DATALAB_VAULT_ROLE": role, "DATALAB_VAULT_JWT_MOUNT": mount}
    for project in projects:
        env[f"VAULT_PROJECT_PATH_{names.env_suffix(project)}"] = f"{kv_mount}/{names.vault_project_dir(project)}"
    return env


# the settings an older config gave each spawner and ``DatalabService`` (before 0.x they
# lived there): still read from those sections, with a warning naming the new place
CREDENTIAL_SETTINGS = ("s3_endpoint", "s3_region", "s3_role_arn", "s3_personal_bucket_template",
                       "s3_project_bucket_template", "s3_session_duration", "vault_addr",
                       "vault_role", "vault_jwt_mount", "vault_kv_mount", "vault_user_dir_template")


class DatalabCredentials(LoggingConfigurable):
    """Where S3 and Vault are, and the exchange of a user's identity token for their
    credentials: shared by the spawners (servers) and the datalab service (companions)."""

    s3_endpoint = Unicode(
        "", config=True,
        help="""S3 endpoint URL, with STS (``AssumeRoleWithWebIdentity``), e.g.
        ``https://minio.example.gouv.fr``. Servers get credentials for it at every start;
        companions that keep files (MLflow's artifacts) store them in their owner's space.
        Empty: no S3.""",
    )
    s3_region = Unicode("us-east-1", config=True, help="S3 region given to clients.")
    s3_role_arn = Unicode(
        "arn:aws:iam::role/DatalabUser", config=True,
        help="""Role assumed with the user's datalab identity token (STS
        ``AssumeRoleWithWebIdentity``). ``datalab policies`` prints the policies it needs.""",
    )
    s3_personal_bucket_template = Unicode(
        names.PERSONAL_BUCKET_TEMPLATE, config=True,
        help="The user's personal bucket; ``{username}`` is the normalised username.",
    )
    s3_project_bucket_template = Unicode(
        names.PROJECT_BUCKET_TEMPLATE, config=True,
        help="""Each project's shared bucket; ``{project}`` is the normalised project (group)
        name. Members may read and write it, and share its files.""",
    )
    s3_session_duration = Integer(
        12 * 3600, config=True,
        help="""Lifetime in seconds of the S3 credentials given to a server or a companion
        (STS ``DurationSeconds``, between 900 and 43200 and within the role's maximum).
        Kernels read them from the environment, so they should outlast a working day; the
        Storage panel renews its own through the hub whenever they expire, a companion
        when it restarts.""",
    )
    vault_addr = Unicode(
        "", config=True,
        help="""Vault/OpenBao address, e.g. ``https://vault.example.gouv.fr``. Servers get a
        token and the secrets the user marked for injection; companions whose entry has a
        ``sets: vault`` option (the app runner) get those secrets too. Empty: no Vault.""",
    )
    vault_role = Unicode(
        "datalab-user", config=True,
        help="""The role of Vault's JWT auth method users log in with. A user's server logs
        in again with it (and ``vault_jwt_mount``) when its token expires.""",
    )
    vault_jwt_mount = Unicode("jwt", config=True, help="Mount path of Vault's JWT auth method.")
    vault_kv_mount = Unicode("secret", config=True, help="The KV v2 mount holding users' secrets.")
    vault_user_dir_template = Unicode(
        names.VAULT_USER_DIR_TEMPLATE, config=True,
        help="""The user's directory in the KV mount (Onyxia's ``VAULT_TOP_DIR``);
        ``{username}`` is the normalised username. Projects' are ``projects/<project>``.""",
    )

    @validate("s3_session_duration")
    def _check_duration(self, proposal):
        value = proposal["value"]
        if value and not STS_MIN_DURATION <= value <= STS_MAX_DURATION:
            self.log.warning("DatalabCredentials.s3_session_duration = %s: STS accepts %d to %d "
                             "seconds; S3 credentials will be refused", value, STS_MIN_DURATION,
                             STS_MAX_DURATION)
        return value

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._read_older_settings()

    def _read_older_settings(self):
        """Apply ``c.<Spawner or DatalabService>.s3_endpoint`` and the like, which older
        configs set on the parent (its class or a base, the nearest winning), unless
        ``c.DatalabCredentials`` says otherwise; warn with the setting to use instead."""
        if self.parent is None:
            return
        mine = self.config.get("DatalabCredentials", {})
        for section in self.parent.section_names():  # bases first: the class itself wins
            if section not in self.config:
                continue
            for name in CREDENTIAL_SETTINGS:
                if name in self.config[section] and name not in mine:
                    self.log.warning("c.%s.%s is deprecated: set c.DatalabCredentials.%s, which the "
                                     "spawners and the datalab service share", section, name, name)
                    setattr(self, name, self.config[section][name])

    # -- names --------------------------------------------------------------------------

    def personal_bucket(self, username):
        return names.personal_bucket(username, self.s3_personal_bucket_template)

    def project_bucket(self, project):
        return names.project_bucket(project, self.s3_project_bucket_template)

    def vault_top_dir(self, username):
        return names.vault_user_dir(username, self.vault_user_dir_template)

    def readable_buckets(self, username, projects=()):
        """The buckets a person may read: their own and their projects'."""
        return {self.personal_bucket(username), *(self.project_bucket(p) for p in projects)}

    # -- the exchange (blocking: run it off the event loop) -----------------------------

    def s3_environment(self, identity_token, username, projects=(), create_buckets=False):
        """The user's S3 credentials and spaces as variables: the standard ``AWS_*`` (boto3,
        s3fs, pandas, duckdb), Onyxia's names, ``DATALAB_S3_PERSONAL`` and each project's
        ``DATALAB_S3_PROJECT_<NAME>``. ``create_buckets``: make the missing ones, with the
        user's own credentials. Raises ``CredentialsError``."""
        creds = s3_credentials(identity_token, self.s3_endpoint, self.s3_role_arn, self.s3_region,
                               session_name=username, duration=self.s3_session_duration)
        bucket = self.personal_bucket(username)
        if create_buckets:
            ensure_bucket(creds, bucket)
        env = {}
        for project in projects:
            shared = self.project_bucket(project)
            if create_buckets:
                ensure_bucket(creds, shared)
            env[f"DATALAB_S3_PROJECT_{names.env_suffix(project)}"] = f"s3://{shared}/"
        env["DATALAB_S3_EXPIRES_AT"] = str(int(creds.pop("expires_at")))
        env["DATALAB_S3_ROLE_ARN"] = self.s3_role_arn
        env.update(creds)
        # Onyxia's images and older clients read these
        env.update({"AWS_S3_ENDPOINT": self.s3_endpoint.split("://", 1)[-1],
                    "S3_ENDPOINT": self.s3_endpoint, "DATALAB_S3_PERSONAL": f"s3://{bucket}/",
                    "DATALAB_S3_BUCKET": bucket})
        return env

    def vault_environment(self, identity_token, username, projects=()):
        """The user's Vault login as variables (``vault_environment``), with the role and
        mount a server logs in again with. Raises ``CredentialsError``."""
        return vault_environment(identity_token, self.vault_addr, role=self.vault_role,
                                 mount=self.vault_jwt_mount, kv_mount=self.vault_kv_mount,
                                 top_dir=self.vault_top_dir(username), projects=projects)


def ensure_bucket(creds, bucket):
    """Create a bucket on first use, with the user's own credentials."""
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
            code = e.response.get("Error", {}).get("Code")
            raise CredentialsError(503, f"cannot create the bucket {bucket}: {code}",
                                   fr=f"impossible de créer le compartiment {bucket} : {code}") from None
