"""How long a companion service takes from launch to ready, beside its binary started by hand.

    .venv/bin/python benchmarks/companions.py [--rounds N] [--only postgresql,redis]

For each local service (real processes on 127.0.0.1), median of N rounds:
  launch     LocalBackend.launch() on a new companion until status() says ready
             (PostgreSQL: initdb + database + start)
  again      launch() again on its kept data (the start-again path)
  by hand    the same argv the backend ran, on the same data, started with Popen,
             readiness polled the same way (same probe, same 50 ms interval)
  by hand 0  the same on an emptied data dir, to set beside `launch` (PostgreSQL:
             initdb + database + start by hand; MLflow creates its database)
and prints seconds and the ratios of the backend's times to the hand-started ones.
"""

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from jupyterhub_datalab.catalog import check_options, load, shipped_catalog, to_launch
from jupyterhub_datalab.companions import Companion
from jupyterhub_datalab.companions.local import LocalBackend, _drop_root, find_command

POLL = 0.05
CONTEXT = {"user": {"name": "bench", "email": "", "project": "", "projects": []}, "region": {}}
SERVICES = ("postgresql", "redis", "mlflow", "app")


def backend_ready(backend, companion, launch, timeout=180):
    t0 = time.monotonic()
    asyncio.run(backend.launch(companion, launch, {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}))
    while True:
        state, message = asyncio.run(backend.status(companion))
        if state == "ready":
            return time.monotonic() - t0
        if state == "failed" or time.monotonic() - t0 > timeout:
            raise RuntimeError(f"{companion.key}: {state}: {message}")
        time.sleep(POLL)


def by_hand(backend, record, folder, prepare=None):
    """The record's argv on its data, started with Popen, polled with the same probe."""
    env = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
           "HOME": str(folder), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC"}
    t0 = time.monotonic()
    if prepare:
        prepare()
    with open(folder / "hand.log", "ab") as log:
        proc = subprocess.Popen(record["argv"], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                env=env, cwd=record["cwd"], start_new_session=True)
    try:
        while not asyncio.run(backend._probe(record)):
            if proc.poll() is not None:
                raise RuntimeError(f"{record['argv'][0]} exited by hand: see {folder / 'hand.log'}")
            time.sleep(POLL)
        return time.monotonic() - t0
    finally:
        os.killpg(proc.pid, record.get("stop_signal", 15))
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def postgres_from_scratch(record, folder, password, options):
    """initdb + CREATE DATABASE by hand, as the backend does on a first launch."""
    data = folder / "data"

    def prepare():
        shutil.rmtree(data)
        data.mkdir(mode=0o700)
        pwfile = folder / ".pw"
        pwfile.write_text(password + "\n")
        as_user = _drop_root()
        subprocess.run([*as_user, find_command("initdb"), "-D", str(data), "-U", options["user"],
                        f"--pwfile={pwfile}", "-A", "scram-sha-256", "-E", "UTF8", "--no-locale",
                        "--no-sync"], check=True, capture_output=True)
        subprocess.run([*as_user, find_command("postgres"), "--single", "-D", str(data), "-c",
                        "log_min_messages=warning", "-c", "fsync=off", "postgres"], check=True, capture_output=True,
                       input=f'CREATE DATABASE "{options["database"]}" OWNER "{options["user"]}";\n'.encode())
    return prepare


def measure(entry_id, catalog, workdir, rounds):
    backend = LocalBackend(workdir / "services", ui_prefix="/bench/{owner}/{name}")
    (workdir / "users/bench").mkdir(parents=True, exist_ok=True)
    (workdir / "users/bench/app.py").write_text("import streamlit as st\nst.write('hello')\n")
    entry = catalog[entry_id]
    options = check_options(entry, {}, CONTEXT)
    launch = to_launch(entry, options)
    out = {"launch": [], "again": [], "by hand": [], "by hand 0": []}
    for i in range(rounds):
        companion = Companion(owner="bench", name=f"{entry_id}-{i}", entry=entry_id, version="",
                              options=options, namespace="user-bench")
        out["launch"].append(backend_ready(backend, companion, launch))
        asyncio.run(backend.stop(companion))
        record = backend.record(companion)
        folder = backend.dir(companion)
        out["by hand"].append(by_hand(backend, record, folder))
        out["again"].append(backend_ready(backend, companion, launch))
        asyncio.run(backend.stop(companion))
        if entry_id == "postgresql":
            prepare = postgres_from_scratch(record, folder, companion.secrets["password"], options)
        else:
            def prepare(data=folder / "data"):
                shutil.rmtree(data)
                data.mkdir(mode=0o700)
        out["by hand 0"].append(by_hand(backend, record, folder, prepare))
        asyncio.run(backend.delete(companion))
    return {k: statistics.median(v) for k, v in out.items() if v}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default=",".join(SERVICES))
    args = parser.parse_args()
    catalog, errors = load([shipped_catalog()])
    if errors:
        sys.exit("\n".join(map(str, errors)))
    results = {}
    with tempfile.TemporaryDirectory(prefix="datalab-bench-") as tmp:
        for entry_id in args.only.split(","):
            results[entry_id] = measure(entry_id, catalog, Path(tmp), args.rounds)
            print(f"{entry_id} done", file=sys.stderr)
    print(f"{'service':<12}{'launch s':>10}{'by hand 0 s':>13}{'ratio':>7}"
          f"{'again s':>10}{'by hand s':>11}{'ratio':>7}")
    for entry_id, m in results.items():
        print(f"{entry_id:<12}{m['launch']:>10.2f}{m['by hand 0']:>13.2f}"
              f"{m['launch'] / m['by hand 0']:>7.2f}{m['again']:>10.2f}{m['by hand']:>11.2f}"
              f"{m['again'] / m['by hand']:>7.2f}")


if __name__ == "__main__":
    main()
