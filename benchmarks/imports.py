"""What the datalab adds to a user's server start: the import time of its server extension,
beside the import of jupyter_server itself (the baseline, measured in the same run).

    .venv/bin/python benchmarks/imports.py [SOURCE_ROOT ...]

Each SOURCE_ROOT is a checkout of this project (default: this one), so an older commit can be
measured beside this one: ``git worktree add /tmp/before <commit>`` then
``benchmarks/imports.py /tmp/before .``. Each measure runs in a fresh interpreter; the median
of ``--runs`` is printed, with the modules the extension pulls in and whether the hub's ORM
(jupyterhub.orm, sqlalchemy) is among them: a user's server has no use for it.
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

PROBE = r"""
import sys, time, json
sys.path.insert(0, ROOT)
t0 = time.perf_counter()
import jupyter_server.serverapp
t1 = time.perf_counter()
before = set(sys.modules)
import jupyterhub_datalab.server
import jupyterhub_datalab.server.handlers
t2 = time.perf_counter()
added = set(sys.modules) - before
print(json.dumps({"base": t1 - t0, "extension": t2 - t1, "modules": len(added),
                  "hub_orm": sorted(m for m in added if m in ("jupyterhub.orm", "sqlalchemy")),
                  "file": jupyterhub_datalab.__file__}))
"""


def measure(root, runs):
    results = []
    for _ in range(runs):
        code = PROBE.replace("ROOT", repr(str(Path(root).resolve())))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, cwd="/").stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    return {"base": statistics.median(r["base"] for r in results),
            "extension": statistics.median(r["extension"] for r in results),
            "modules": results[-1]["modules"], "hub_orm": results[-1]["hub_orm"],
            "file": results[-1]["file"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="*", default=[str(Path(__file__).parent.parent)])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for root in args.roots:
        r = measure(root, args.runs)
        print(f"{root}: jupyter_server {r['base'] * 1000:.0f} ms (baseline); datalab extension "
              f"+{r['extension'] * 1000:.0f} ms = {r['extension'] / r['base']:.2f}x the baseline, "
              f"{r['modules']} more modules; hub ORM loaded: {', '.join(r['hub_orm']) or 'no'}"
              f"  [{r['file']}]")


if __name__ == "__main__":
    main()
