"""The S3 and Vault policies a datalab needs, built once: ``datalab up`` applies them to
its embedded SeaweedFS and OpenBao, ``datalab policies`` prints them for a production
S3 and Vault, and the installation guide shows the same output.

They were spelt twice before, and had drifted: the guide's Vault policy lacked
``patch``, the ``delete``/``undelete``/``destroy`` paths and every project slot but the
first, so on a Vault set up from the docs the Secrets panel could not delete and
projects past the first had no secrets.

Both grant by name from the datalab identity token (never the login provider's):

- S3: ``user-${jwt:preferred_username}`` and one statement per project slot
  ``project-${jwt:project_N}`` (policies cannot iterate over a list claim; a slot the
  token lacks matches no bucket). Names in the token are normalised to ``[a-z0-9-]``
  (:mod:`jupyterhub_datalab.names`), so no claim widens a pattern;
- Vault: a templated ACL policy on the KV v2 subtrees ``users/<alias name>`` and
  ``projects/<alias metadata project_N>``, and the JWT role that fills that metadata.

Pure functions returning dicts and HCL text; no framework.
"""

import json

from .identity import PROJECT_SLOTS
from .names import (
    PERSONAL_BUCKET_TEMPLATE,
    PROJECT_BUCKET_TEMPLATE,
    VAULT_PROJECT_DIR_TEMPLATE,
    VAULT_USER_DIR_TEMPLATE,
)

USERNAME_CLAIM = "preferred_username"
AUDIENCE = "datalab"  # the identity tokens' ``aud``
VAULT_POLICY_NAME = "datalab-user"
S3_POLICY_NAME = "DatalabPersonalSpace"


def _slots(project_slots):
    return range(1, project_slots + 1)


def s3_policy(personal_bucket_template=PERSONAL_BUCKET_TEMPLATE,
              project_bucket_template=PROJECT_BUCKET_TEMPLATE, project_slots=PROJECT_SLOTS):
    """The IAM policy of the role users assume (``AssumeRoleWithWebIdentity``): all of
    S3 on their own bucket and on their projects' buckets, nothing else.

    ``project_slots=0`` leaves projects out (MinIO expands standard claims only in policy
    variables: grant each project's bucket with ``s3_project_policy``)."""
    personal = "arn:aws:s3:::" + personal_bucket_template.format(username=f"${{jwt:{USERNAME_CLAIM}}}")
    projects = ["arn:aws:s3:::" + project_bucket_template.format(project=f"${{jwt:project_{i}}}")
                for i in _slots(project_slots)]
    statements = [{"Effect": "Allow", "Action": ["s3:*"], "Resource": [personal, personal + "/*"]}]
    if projects:
        statements.append({"Effect": "Allow", "Action": ["s3:*"],
                           "Resource": projects + [p + "/*" for p in projects]})
    statements.append({"Effect": "Allow", "Action": ["sts:ValidateSession"], "Resource": ["*"]})
    return {"Version": "2012-10-17", "Statement": statements}


def s3_project_policy(project, project_bucket_template=PROJECT_BUCKET_TEMPLATE):
    """All of S3 on one project's bucket, for an S3 that cannot read the project slots."""
    bucket = "arn:aws:s3:::" + project_bucket_template.format(project=project)
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*"], "Resource": [bucket, bucket + "/*"]}]}


def s3_trust_policy(provider="datalab"):
    """Who may assume the users' role: holders of a token from the OIDC provider
    ``provider`` (the hub's identity issuer, as registered in S3)."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": ["sts:AssumeRoleWithWebIdentity"],
    }]}


def _subtree(kv_mount, path):
    """Read, write, list, delete and restore every secret under ``path`` of a KV v2 mount."""
    return f"""
path "{kv_mount}/data/{path}/*" {{
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}}
path "{kv_mount}/metadata/{path}/*" {{
  capabilities = ["create", "update", "patch", "read", "list", "delete"]
}}
path "{kv_mount}/metadata/{path}" {{
  capabilities = ["list"]
}}
path "{kv_mount}/delete/{path}/*" {{
  capabilities = ["update"]
}}
path "{kv_mount}/undelete/{path}/*" {{
  capabilities = ["update"]
}}
path "{kv_mount}/destroy/{path}/*" {{
  capabilities = ["update"]
}}
"""


def vault_policy(accessor, kv_mount="secret", user_dir_template=VAULT_USER_DIR_TEMPLATE,
                 project_slots=PROJECT_SLOTS):
    """The ACL policy (HCL) of the users' JWT role: their KV subtree, named after the
    identity alias (``accessor``: the JWT auth method's mount accessor), and each
    project slot's ``projects/<project>`` (a slot the token lacks leaves its template
    unresolved, and Vault then skips that path)."""
    alias = f"identity.entity.aliases.{accessor}"
    me = user_dir_template.format(username=f"{{{{{alias}.name}}}}")
    projects = "".join(
        _subtree(kv_mount, VAULT_PROJECT_DIR_TEMPLATE.format(project=f"{{{{{alias}.metadata.project_{i}}}}}"))
        for i in _slots(project_slots))
    return _subtree(kv_mount, me) + projects


def vault_role(policy=VAULT_POLICY_NAME, project_slots=PROJECT_SLOTS, token_ttl="1h",
               token_max_ttl="12h"):
    """The JWT auth role users log in with (``vault write auth/<mount>/role/<role>``):
    datalab identity tokens only (``aud``), the normalised username as the alias name,
    the project slots copied into the alias's metadata for ``vault_policy``."""
    return {
        "role_type": "jwt",
        "bound_audiences": [AUDIENCE],
        "user_claim": USERNAME_CLAIM,
        "groups_claim": "groups",
        "claim_mappings": {USERNAME_CLAIM: "username",
                           **{f"project_{i}": f"project_{i}" for i in _slots(project_slots)}},
        "token_policies": [policy],
        "token_ttl": token_ttl,
        "token_max_ttl": token_max_ttl,
    }


def render(kind, *, accessor="<jwt accessor>", credentials=None, project_slots=PROJECT_SLOTS):
    """One policy as text, with the templates and mounts of a ``DatalabCredentials``
    (or the defaults): ``s3`` (JSON), ``s3-trust`` (JSON), ``vault`` (HCL), ``vault-role``
    (JSON, for ``vault write auth/jwt/role/datalab-user @role.json``)."""
    personal = getattr(credentials, "s3_personal_bucket_template", PERSONAL_BUCKET_TEMPLATE)
    project = getattr(credentials, "s3_project_bucket_template", PROJECT_BUCKET_TEMPLATE)
    kv_mount = getattr(credentials, "vault_kv_mount", "secret")
    user_dir = getattr(credentials, "vault_user_dir_template", VAULT_USER_DIR_TEMPLATE)
    if kind == "s3":
        return json.dumps(s3_policy(personal, project, project_slots), indent=2)
    if kind == "s3-trust":
        return json.dumps(s3_trust_policy(), indent=2)
    if kind == "vault":
        return vault_policy(accessor, kv_mount, user_dir, project_slots).lstrip("\n")
    if kind == "vault-role":
        return json.dumps(vault_role(project_slots=project_slots), indent=2)
    raise ValueError(f"unknown policy {kind!r}: s3, s3-trust, vault or vault-role")


KINDS = ("s3", "s3-trust", "vault", "vault-role")
