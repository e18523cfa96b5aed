"""The datalab service exits once its work is done, even when closing hangs.

Seen: on the emulated cluster the service logged "stopping" and then sat 20-30 s until the
hub killed it; the hub waited for it meanwhile, and a child of the hub outlived it. Here a
backend whose ``close`` never returns stands for whatever holds the exit."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from jupyterhub_datalab.companions.local import LocalBackend

from ..stackctl import free_base_port
from ..waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


class HangingBackend(LocalBackend):
    """A local backend whose clients never finish closing."""

    async def close(self):
        await asyncio.Event().wait()


def test_a_close_that_hangs_does_not_hold_the_service(tmp_path):
    port = free_base_port()
    config = tmp_path / "jupyterhub_config.py"
    config.write_text(f"""c = get_config()  # noqa
c.DatalabService.backend_class = "tests.service.test_service_stop.HangingBackend"
c.DatalabService.state_dir = {str(tmp_path / "state")!r}
c.DatalabService.bind_url = "http://127.0.0.1:{port}"
c.DatalabService.hub_url = "http://127.0.0.1:{port + 1}"
""")
    env = dict(os.environ, PYTHONPATH=str(ROOT), JUPYTERHUB_API_TOKEN="not-a-hub-token",
               JUPYTERHUB_API_URL=f"http://127.0.0.1:{port + 1}/hub/api", JUPYTERHUB_CLIENT_ID="service-datalab",
               JUPYTERHUB_SERVICE_PREFIX="/services/datalab/", JUPYTERHUB_SERVICE_NAME="datalab")
    log = tmp_path / "service.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "jupyterhub_datalab.service", "--config", str(config)],
                                cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: "datalab service 0" in log.read_text() or proc.poll() is not None,
                   "the service started")
        assert proc.poll() is None, log.read_text()
        proc.send_signal(signal.SIGTERM)
        # without the bound it never exits (close() never returns): the wait ends in a failure
        wait_until(lambda: proc.poll() is not None, lambda: f"the service exited:\n{log.read_text()}",
                   timeout=60)
        assert "exiting now" in log.read_text(), log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
