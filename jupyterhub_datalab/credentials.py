"""The credential exchange: a datalab identity token in, backend credentials out.

One place for it, used at spawn time and for renewal: S3 through STS
``AssumeRoleWithWebIdentity`` (SeaweedFS here; MinIO and AWS speak the same API).
"""

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError


# what AssumeRoleWithWebIdentity accepts as DurationSeconds (AWS, MinIO, SeaweedFS alike)
STS_MIN_DURATION, STS_MAX_DURATION = 900, 43200


class CredentialsError(RuntimeError):
    """Credentials could not be obtained; the message says why, in words."""


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
                f"The S3 session duration ({int(duration)} s) must be between {STS_MIN_DURATION} "
                f"and {STS_MAX_DURATION} seconds (STS's limits): ask an administrator to fix "
                "s3_session_duration")
        params["DurationSeconds"] = int(duration)
    try:
        answer = sts.assume_role_with_web_identity(**params)
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code", "")
        raise CredentialsError(
            f"S3 refused the identity token ({code}): log in again, or ask an administrator "
            "to check the S3 STS configuration"
        ) from None
    except BotoCoreError as e:
        raise CredentialsError(f"S3 at {endpoint} cannot be reached: {e}") from None
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
    import time

    import requests

    try:
        r = requests.post(f"{addr}/v1/auth/{mount}/login", timeout=timeout,
                          json={"role": role, "jwt": identity_token})
    except requests.RequestException as e:
        raise CredentialsError(f"Vault at {addr} cannot be reached: {e}") from None
    if r.status_code == 503:
        raise CredentialsError(f"Vault at {addr} is sealed: ask an administrator to unseal it")
    if r.status_code >= 400:
        raise CredentialsError(
            f"Vault refused the identity token (HTTP {r.status_code}): log in again, or ask an "
            "administrator to check Vault's JWT auth configuration"
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
    from .names import env_suffix

    vault = vault_login(identity_token, addr, role, mount)
    vault.pop("expires_at")
    # the role and mount the server logs in again with once this token expires (it once
    # used the defaults, failing on any Vault configured otherwise)
    env = {**vault, "VAULT_MOUNT": kv_mount, "VAULT_TOP_DIR": top_dir,
           "VAULT_PERSONAL_PATH": f"{kv_mount}/{top_dir}",
           "DATALAB_VAULT_ROLE": role, "DATALAB_VAULT_JWT_MOUNT": mount}
    for project in projects:
        env[f"VAULT_PROJECT_PATH_{env_suffix(project)}"] = f"{kv_mount}/projects/{project}"
    return env
