"""Bad input to `datalab up` gets one clear line and an exit code, never a traceback."""

import socket
import subprocess

import psutil

from ..stackctl import DATALAB, free_base_port


def run_datalab(*args, timeout=120):
    return subprocess.run([*DATALAB, *args], capture_output=True, text=True, timeout=timeout)


def error_lines(result):
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_a_taken_port_is_named_with_its_component(tmp_path):
    base = free_base_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", base + 4))
        squatter.listen()
        result = run_datalab("up", "--state-dir", str(tmp_path / "state"), "--port", str(base))
    assert result.returncode == 2
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert f"port {base + 4}" in lines[0] and "SeaweedFS S3" in lines[0] and "--port" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_the_public_port_taken(tmp_path):
    base = free_base_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", base))
        squatter.listen()
        result = run_datalab("up", "--state-dir", str(tmp_path / "state"), "--port", str(base))
    assert result.returncode == 2
    assert f"port {base}" in error_lines(result)[0]


def test_an_unusable_state_dir(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run_datalab("up", "--state-dir", str(blocker / "state"), "--port", str(free_base_port()))
    assert result.returncode == 2
    lines = error_lines(result)
    assert len(lines) == 1 and "state dir" in lines[0] and "--state-dir" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_a_port_out_of_range(tmp_path):
    result = run_datalab("up", "--state-dir", str(tmp_path / "s"), "--port", "80")
    assert result.returncode == 2
    assert len(error_lines(result)) == 1 and "--port 80" in result.stderr


def test_status_without_a_running_stack(tmp_path):
    result = run_datalab("status", "--state-dir", str(tmp_path / "nothing"))
    assert result.returncode == 3
    assert "no datalab is running" in result.stderr


def test_a_component_that_fails_is_named_with_its_log(tmp_path):
    """A corrupt Vault keys file: openbao cannot be unsealed, the error says where to look."""
    state = tmp_path / "state"
    (state / "vault").mkdir(parents=True)
    (state / "vault/init.json").write_text("{not json")
    result = run_datalab("up", "--state-dir", str(state), "--port", str(free_base_port()))
    assert result.returncode != 0
    lines = error_lines(result)
    assert len(lines) == 1 and "init.json" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    leftovers = [p.pid for p in psutil.process_iter(["cmdline"])
                 if any(str(state) in arg for arg in p.info["cmdline"] or [])]
    assert not leftovers, "components of the failed start were left running"


def test_a_hub_that_fails_is_named_with_its_error_and_log(tmp_path):
    """A broken admin setting in config.d: the hub exits; one line says which error, where."""
    state = tmp_path / "state"
    (state / "hub/config.d").mkdir(parents=True)
    (state / "hub/config.d/broken.py").write_text('c.JupyterHub.load_roles.append({"name": "x"})\n')
    result = run_datalab("up", "--state-dir", str(state), "--port", str(free_base_port()))
    assert result.returncode == 1
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert "jupyterhub exited" in lines[0] and "InvalidNameError" in lines[0]
    assert str(state / "logs/jupyterhub.log") in lines[0]
    leftovers = [p.pid for p in psutil.process_iter(["cmdline"])
                 if any(str(state) in arg for arg in p.info["cmdline"] or [])]
    assert not leftovers
