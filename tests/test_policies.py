"""The S3 and Vault policies (``jupyterhub_datalab/policies.py``): built once, applied by
``datalab up``, printed by ``datalab policies`` for a production S3 and Vault, shown in the
installation guide. Seen before: the guide spelt the Vault policy by hand and had drifted
(no ``patch``, no delete/undelete/destroy paths, one project slot of twenty)."""

import json
import re
from pathlib import Path

import pytest

from jupyterhub_datalab import policies
from jupyterhub_datalab.identity import PROJECT_SLOTS

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parent.parent


def test_the_s3_policy_grants_the_own_bucket_and_each_project_slot():
    doc = policies.s3_policy()
    own, projects, validate = doc["Statement"]
    assert own["Resource"] == ["arn:aws:s3:::user-${jwt:preferred_username}",
                               "arn:aws:s3:::user-${jwt:preferred_username}/*"]
    assert len(projects["Resource"]) == 2 * PROJECT_SLOTS
    assert "arn:aws:s3:::project-${jwt:project_20}/*" in projects["Resource"]
    assert validate["Action"] == ["sts:ValidateSession"]
    # the admin's templates, and no project statement for an S3 without custom claims
    doc = policies.s3_policy("datalab-{username}", "{project}-shared", project_slots=0)
    assert [s["Resource"][0] for s in doc["Statement"]] == \
        ["arn:aws:s3:::datalab-${jwt:preferred_username}", "*"]
    assert policies.s3_project_policy("stats")["Statement"][0]["Resource"] == \
        ["arn:aws:s3:::project-stats", "arn:aws:s3:::project-stats/*"]


def test_the_vault_policy_covers_every_path_the_secrets_panel_uses():
    hcl = policies.vault_policy("auth_jwt_1", "onyxia-kv", "agents/{username}")
    me = "agents/{{identity.entity.aliases.auth_jwt_1.name}}"
    for verb in ("data", "metadata", "delete", "undelete", "destroy"):
        assert f'path "onyxia-kv/{verb}/{me}/*"' in hcl, verb
    assert '"patch"' in hcl
    slots = re.findall(r"metadata\.project_(\d+)\}\}/\*\"", hcl)
    assert sorted(set(map(int, slots))) == list(range(1, PROJECT_SLOTS + 1))
    role = policies.vault_role()
    assert role["bound_audiences"] == ["datalab"] and role["user_claim"] == "preferred_username"
    assert role["claim_mappings"][f"project_{PROJECT_SLOTS}"] == f"project_{PROJECT_SLOTS}"


def test_datalab_up_applies_the_builders(tmp_path, monkeypatch):
    """The embedded S3 and Vault get what the builders make (so what the guide shows)."""
    from jupyterhub_datalab.devstack import s3, vault
    from jupyterhub_datalab.devstack.ports import PortPlan
    from jupyterhub_datalab.devstack.state import StateDir

    state = StateDir(tmp_path)
    state.prepare()
    config = s3.iam_config(state, PortPlan(20000))
    [policy] = config["policies"]
    assert policy["document"] == policies.s3_policy()
    assert config["roles"][0]["trustPolicy"] == policies.s3_trust_policy("datalab")
    assert config["roles"][0]["attachedPolicies"] == [policy["name"]]
    assert vault.user_policy("auth_jwt_9") == policies.vault_policy("auth_jwt_9", vault.KV_MOUNT)
    # and really through them: a changed builder changes what the stack applies
    monkeypatch.setattr(policies, "vault_policy", lambda accessor, kv_mount: f"# {accessor} {kv_mount}")
    assert vault.user_policy("x") == "# x secret"
    monkeypatch.setattr(policies, "s3_policy", lambda: {"Statement": "changed"})
    assert s3.iam_config(state, PortPlan(20000))["policies"][0]["document"] == {"Statement": "changed"}


def test_the_vault_role_datalab_up_writes_is_the_builders(monkeypatch):
    from jupyterhub_datalab.devstack import vault

    calls = []

    def call(addr, method, path, body=None, token=None):  # OpenBao's answers, as recorded
        calls.append((method, path, body))
        return {"data": {"jwt/": {"accessor": "auth_jwt_9"}}} if path == "sys/auth" else {}

    monkeypatch.setattr(vault, "_call", call)

    class Ports:
        def url(self, name):
            return "http://127.0.0.1:1"

    vault.configure_jwt_auth(None, Ports(), "root", "https://issuer", "PEM")
    written = {path: body for method, path, body in calls if body}
    assert written[f"auth/jwt/role/{vault.USER_ROLE}"] == policies.vault_role(vault.USER_ROLE)
    assert written[f"sys/policies/acl/{vault.USER_ROLE}"] == {"policy": policies.vault_policy("auth_jwt_9", "secret")}


def test_datalab_policies_prints_them_with_the_admins_settings(tmp_path, capsys):
    from jupyterhub_datalab.cli import main

    config = tmp_path / "jupyterhub_config.py"
    config.write_text("c.DatalabCredentials.vault_kv_mount = 'onyxia-kv'\n"
                      "c.DatalabCredentials.s3_personal_bucket_template = 'datalab-{username}'\n")

    def run(*args):
        assert main(["policies", *args]) == 0
        return capsys.readouterr().out

    assert json.loads(run("s3")) == policies.s3_policy()
    assert json.loads(run("s3", "--config", str(config))) == policies.s3_policy("datalab-{username}")
    hcl = run("vault", "--config", str(config), "--vault-accessor", "auth_jwt_42")
    assert hcl.strip() == policies.vault_policy("auth_jwt_42", "onyxia-kv").strip()
    assert json.loads(run("vault-role")) == policies.vault_role()
    assert "user-${jwt:preferred_username}" in run() and "path " in run()  # all of them


def test_the_installation_guide_shows_the_builders_output():
    """The guide's policies come from the builders (the ``datalab-policy`` directive), never by hand."""
    guide = (ROOT / "docs/install-kubernetes.md").read_text()
    assert "{datalab-policy} vault" in guide and "{datalab-policy} s3" in guide
    for guide in (guide, (ROOT / "docs/authentication.md").read_text()):
        assert "capabilities = [" not in guide and "arn:aws:s3:::" not in guide
        assert "token_policies=" not in guide
