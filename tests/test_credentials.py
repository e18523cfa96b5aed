"""The credential exchange (``jupyterhub_datalab.credentials``): its own checks before any
request leaves, and ``DatalabCredentials``, the one configurable object the spawners and
the datalab service share."""

import json
import threading
import typing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from traitlets.config import Config

from jupyterhub_datalab.credentials import (
    CREDENTIAL_SETTINGS,
    CredentialsError,
    DatalabCredentials,
    s3_credentials,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("duration", [60, 899, 43201])
def test_a_session_duration_sts_refuses_is_said_as_such(duration):
    """Seen: a duration under 900 s was refused by botocore and reported as "S3 cannot be
    reached", which sent admins to look at the network."""
    with pytest.raises(CredentialsError) as e:
        s3_credentials("token", "http://127.0.0.1:9", "arn:aws:iam::role/DatalabUser", duration=duration)
    message = str(e.value)
    assert "between 900 and 43200 seconds" in message and "s3_session_duration" in message, message
    assert "cannot be reached" not in message


# -- DatalabCredentials: one configurable object for the spawners and the service ----------

def spawner_and_service(config):
    from jupyterhub_datalab.service.app import DatalabService
    from jupyterhub_datalab.spawner import DatalabLocalSpawner

    return DatalabLocalSpawner(config=config).credentials, DatalabService(config=config).credentials


def test_the_settings_are_defined_once_and_shared():
    """Seen: ten settings written twice (spawners and DatalabService), set twice by the Helm
    chart, which gave the service's project bucket its default while the spawner's was set."""
    from jupyterhub_datalab.kubespawner import DatalabKubeSpawner
    from jupyterhub_datalab.service.app import DatalabService
    from jupyterhub_datalab.spawner import DatalabLocalSpawner

    for cls in (DatalabLocalSpawner, DatalabKubeSpawner, DatalabService):
        assert not set(CREDENTIAL_SETTINGS) & set(cls.class_traits(config=True)), cls
    assert set(CREDENTIAL_SETTINGS) == set(DatalabCredentials.class_traits(config=True))
    c = Config()
    c.DatalabCredentials.s3_endpoint = "https://minio.example.gouv.fr"
    c.DatalabCredentials.s3_project_bucket_template = "{project}-shared"
    c.DatalabCredentials.vault_role, c.DatalabCredentials.vault_jwt_mount = "agents", "jwt-agents"
    hub, service = spawner_and_service(c)
    for each in (hub, service):
        assert each.s3_endpoint == "https://minio.example.gouv.fr"
        assert each.project_bucket("stats") == "stats-shared"
        assert (each.vault_role, each.vault_jwt_mount) == ("agents", "jwt-agents")


def test_the_older_settings_still_apply_with_a_warning(caplog):
    c = Config()
    c.Spawner.s3_session_duration = 3600          # a spawner base, as older configs wrote
    c.DatalabLocalSpawner.vault_addr = "http://vault"
    c.DatalabService.vault_role = "companions"
    c.DatalabService.s3_endpoint = "http://old"
    c.DatalabCredentials.s3_endpoint = "http://new"  # the new place wins
    hub, service = spawner_and_service(c)
    assert (hub.s3_session_duration, hub.vault_addr, hub.vault_role) == (3600, "http://vault", "datalab-user")
    assert (service.vault_role, service.s3_endpoint) == ("companions", "http://new")
    assert "set c.DatalabCredentials.vault_addr" in caplog.text


def test_names_follow_the_templates():
    c = Config()
    c.DatalabCredentials.s3_personal_bucket_template = "datalab-{username}"
    c.DatalabCredentials.vault_user_dir_template = "agents/{username}"
    creds = DatalabCredentials(config=c)
    assert creds.personal_bucket("alice") == "datalab-alice"
    assert creds.vault_top_dir("alice") == "agents/alice"
    assert creds.readable_buckets("alice", ["stats"]) == {"datalab-alice", "project-stats"}
    assert DatalabCredentials().personal_bucket("alice") == "user-alice"


class FakeVault(BaseHTTPRequestHandler):
    """A stand-in for Vault's JWT login only (the real one runs in the stack's tests)."""
    calls: typing.ClassVar[list] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeVault.calls.append((self.path, body["role"]))
        answer = json.dumps({"auth": {"client_token": "hvs.x", "lease_duration": 3600}}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def test_the_vault_login_and_the_servers_relogin_use_the_configured_role_and_mount():
    """Seen: a server's re-login used ``datalab-user`` on ``jwt`` whatever the admin set."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeVault)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        c = Config()
        c.DatalabCredentials.vault_addr = f"http://127.0.0.1:{server.server_port}"
        c.DatalabCredentials.vault_role, c.DatalabCredentials.vault_jwt_mount = "agents", "jwt-agents"
        c.DatalabCredentials.vault_kv_mount = "onyxia-kv"
        for creds in spawner_and_service(c):
            FakeVault.calls.clear()
            env = creds.vault_environment("identity", "alice", ["stats"])
            assert FakeVault.calls == [("/v1/auth/jwt-agents/login", "agents")]
            assert (env["DATALAB_VAULT_ROLE"], env["DATALAB_VAULT_JWT_MOUNT"]) == ("agents", "jwt-agents")
            assert env["VAULT_TOP_DIR"] == "users/alice" and env["VAULT_MOUNT"] == "onyxia-kv"
            assert env["VAULT_PROJECT_PATH_STATS"] == "onyxia-kv/projects/stats"
    finally:
        server.shutdown()
        server.server_close()


def test_credential_errors_speak_french():
    with pytest.raises(CredentialsError) as e:
        s3_credentials("token", "http://127.0.0.1:9", "arn:aws:iam::role/DatalabUser", duration=60)
    assert "entre 900 et 43200 secondes" in e.value.text("fr")
