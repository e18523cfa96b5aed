"""Secrets marked for injection reach the companions that ask for them (the app runner),
read with the owner's own Vault login, and never land in records, command lines or logs."""

import json
import secrets
import time

import psutil
import pytest

from ..clients import Client
from .test_companions_api import wait_ready

API = "services"  # what alice, bob and carol call (tests/clients.py)

VALUE = f"app-token-{secrets.token_hex(8)}"
APP = "import os\nimport streamlit as st\nst.write('token set' if os.environ.get('APP_TOKEN') else 'no token')\n"


@pytest.fixture(scope="module")
def alice_secrets(stack):
    return Client(stack, "alice", api="secrets")


def app_process(stack, name):
    """The process running alice's app ``name``: the one its record names (this stack's, not
    any Streamlit of the machine), or inside its sandbox the program it runs."""
    record = stack.state_dir / f"services/local/alice/{name}/companion.json"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            proc = psutil.Process(json.loads(record.read_text())["pid"])
            found = [p for p in [proc, *proc.children(recursive=True)]
                     if any("streamlit" in a for a in p.cmdline())]
            if found:
                return found[0]
        except (OSError, ValueError, psutil.Error):
            pass
        time.sleep(0.3)
    raise AssertionError(f"no process for alice's app {name}")


def test_an_app_gets_the_owners_injected_secrets_and_only_when_asked(stack, alice, alice_secrets):
    app = stack.state_dir / "users/alice/apps/echo.py"
    app.parent.mkdir(parents=True, exist_ok=True)
    app.write_text(APP)
    assert alice_secrets("PUT", "personal/secret", json={"path": "app-token",
                                                         "data": {"APP_TOKEN": VALUE}}).status_code == 200
    assert alice_secrets("POST", "personal/inject", json={"path": "app-token", "injected": True}).json()["injected"]
    try:
        on = alice("POST", "services", json={"entry": "app", "name": "echo", "options": {"file": "apps/echo.py"}})
        assert on.status_code == 201, on.text
        wait_ready(alice, "alice", "echo")
        proc = app_process(stack, "echo")
        assert proc.environ().get("APP_TOKEN") == VALUE
        assert not any(VALUE in a for a in proc.cmdline()), "a secret on a command line"
        assert alice("DELETE", "services/alice/echo").status_code == 200

        off = alice("POST", "services", json={"entry": "app", "name": "echo-bare",
                                              "options": {"file": "apps/echo.py", "secrets": False}})
        assert off.status_code == 201, off.text
        wait_ready(alice, "alice", "echo-bare")
        assert "APP_TOKEN" not in app_process(stack, "echo-bare").environ()
        assert alice("DELETE", "services/alice/echo-bare").status_code == 200
    finally:
        alice_secrets("DELETE", "personal/secret", params={"path": "app-token"})
    # the value was never written to the service's records nor to any log
    for path in [*(stack.state_dir / "services").rglob("*.json"), *(stack.state_dir / "logs").glob("*.log")]:
        assert VALUE not in path.read_text(errors="replace"), path
