"""The datalab service reads the hub's config file: one that fails to load must stop it.

Before, traitlets logged the error and the service went on without the rest of the
file (admin bounds, backend, workspaces), which only showed later as wrong behaviour.
"""

import subprocess
import sys


def test_a_config_file_that_fails_to_load_stops_the_service(tmp_path):
    config = tmp_path / "jupyterhub_config.py"
    config.write_text("c = get_config()  # noqa\nc.DatalabService.stop_on_exit = True\nraise KeyError('SOME_SETTING')\n")
    run = subprocess.run([sys.executable, "-m", "jupyterhub_datalab.service", "--config", str(config)],
                         capture_output=True, text=True, timeout=60, check=False,
                         cwd=tmp_path)  # a service that did start would write its state to cwd
    assert run.returncode != 0
    assert str(config) in run.stderr and "KeyError: 'SOME_SETTING'" in run.stderr
