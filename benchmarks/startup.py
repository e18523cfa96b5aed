"""How long until the datalab is usable, against a bare `jupyter lab` in the same run.

    .venv/bin/python benchmarks/startup.py [--rounds N]

Measures (median of N rounds, real processes on 127.0.0.1):
  baseline  bare `jupyter lab` start until /lab answers 200
  up-cold   `datalab up` on a new state dir until it prints ready (initialises OpenBao)
  up-warm   `datalab up` again on the same state dir
  login-lab alice: OIDC form login -> server start -> JupyterLab page 200
and prints each as seconds and as a ratio to the baseline.
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.stackctl import RunningStack, free_base_port, oidc_login, start_server  # noqa: E402

from jupyterhub_datalab.devstack.ports import port_is_free  # noqa: E402


def bare_jupyter_lab(workdir):
    port = free_base_port()
    token = secrets.token_hex(16)
    argv = [str(Path(sys.executable).parent / "jupyter-lab"), "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir}"]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                r = requests.get(f"http://127.0.0.1:{port}/lab?token={token}", timeout=5)
                if r.status_code == 200:
                    return time.monotonic() - t0
            except requests.ConnectionError:
                pass
            if proc.poll() is not None:
                raise RuntimeError("jupyter lab exited")
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(30)


def datalab_round(workdir):
    state = Path(workdir) / "state"
    port = free_base_port()
    timings = {}
    for label in ("up-cold", "up-warm"):
        t0 = time.monotonic()
        stack = RunningStack(state, port).start()
        timings[label] = time.monotonic() - t0
        if label == "up-warm":
            t0 = time.monotonic()
            session = oidc_login(stack.hub_url, "alice", stack.password("alice"))
            start_server(session, stack.hub_url, "alice")
            timings["login-lab"] = time.monotonic() - t0
        stack.stop()
        while not all(port_is_free(port + i) for i in range(4)):
            time.sleep(0.1)
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = {"baseline": [], "up-cold": [], "up-warm": [], "login-lab": []}
    for i in range(args.rounds):
        with tempfile.TemporaryDirectory() as d:
            results["baseline"].append(bare_jupyter_lab(d))
        with tempfile.TemporaryDirectory() as d:
            for k, v in datalab_round(d).items():
                results[k].append(v)
        print(f"round {i + 1}/{args.rounds} done", file=sys.stderr)
    base = statistics.median(results["baseline"])
    print(f"{'measure':<12}{'median s':>10}{'x bare jupyter lab':>22}")
    for name, values in results.items():
        m = statistics.median(values)
        print(f"{name:<12}{m:>10.2f}{m / base:>22.2f}")


if __name__ == "__main__":
    main()
