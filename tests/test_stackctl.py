"""The harness sees only its own stack: another `datalab up` on the machine (a demo on
other ports, the same demo users) must not leak into what a test reads."""

import os
import subprocess
import sys
import time

import psutil

from .stackctl import oidc_login, start_server

DECOY = "import time; time.sleep(300)  # jupyterhub-singleuser of another stack"


def test_server_helpers_read_only_this_stacks_servers(stack):
    session = oidc_login(stack.hub_url, "alice", stack.password("alice"))
    start_server(session, stack.hub_url, "alice")
    # alice's server of another datalab on this machine, started after ours: same user,
    # same (default) server name, the command line the helpers look for
    decoy = subprocess.Popen(
        [sys.executable, "-c", DECOY, "jupyterhub-singleuser"], start_new_session=True,
        env={**os.environ, "JUPYTERHUB_USER": "alice", "JUPYTERHUB_SERVER_NAME": "",
             "JUPYTERHUB_API_URL": "http://127.0.0.1:1/hub/api", "DATALAB_DECOY": "1"})
    try:
        deadline = time.monotonic() + 10
        while "DATALAB_DECOY" not in psutil.Process(decoy.pid).environ() and time.monotonic() < deadline:
            time.sleep(0.05)
        env = stack.server_env("alice")
        assert "DATALAB_DECOY" not in env
        assert all("DATALAB_DECOY" not in e for e in stack.server_envs("alice").values())
        assert stack.server_process("alice").pid != decoy.pid
    finally:
        decoy.kill()
        decoy.wait()
