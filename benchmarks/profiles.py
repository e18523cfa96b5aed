"""The spawn page and option checks with a 100-entry catalog, beside KubeSpawner's profile_list.

    .venv/bin/python benchmarks/profiles.py [--entries 100] [--requests 1000] [--rounds 5]

Measures in one run (median of --rounds; no server, no cluster: pure Python paths):
  render    the whole spawn form for --entries entries. datalab: the catalog as the
            spawner reads it (DatalabCatalog on a temp dir of copies of jupyter-python:
            change check, resolve each schema for the user) + render_form; KubeSpawner:
            _render_options_form on a --entries profile_list with comparable options
            (image, CPU, memory choices), what it does per request when profile_list is a
            callable. The cold datalab load (reading and checking every file) is shown apart.
  parse     --requests form posts read back: parse_form vs KubeSpawner.options_from_form
  validate  --requests requests checked: DatalabCatalog.launch (JSON Schema validation,
            defaults, launch settings) vs KubeSpawner.load_user_options (profile lookup,
            choice validation, overrides applied)
and prints seconds and the ratio datalab / KubeSpawner.
"""

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from jupyterhub_datalab.catalog import DatalabCatalog, shipped_catalog
from jupyterhub_datalab.profile_form import parse_form, render_form

USER, GROUPS = "alice", ["stats"]


def make_catalog(directory, count):
    """``count`` copies of jupyter-python with their own ids, sharing the shipped blocks."""
    source = Path(shipped_catalog())
    shutil.copytree(source / "shared", Path(directory) / "shared")
    doc = json.loads((source / "environments" / "jupyter-python.json").read_text())
    (Path(directory) / "environments").mkdir()
    for i in range(count):
        doc["id"] = f"jupyter-python-{i:03d}"
        doc["name"] = {"en": f"Jupyter Python {i}", "fr": f"Jupyter Python {i}"}
        (Path(directory) / "environments" / f"{doc['id']}.json").write_text(json.dumps(doc))


def profile_list(count):
    """A KubeSpawner profile_list as rich as the catalog copies allow it to be."""
    def choices(name, values, key):
        return {"display_name": name, "choices": {
            str(v): {"display_name": str(v), "kubespawner_override": {key: v}} for v in values}}
    return [{
        "display_name": f"Jupyter Python {i}", "slug": f"jupyter-python-{i:03d}",
        "description": "JupyterLab with Python and the usual data science libraries.",
        "kubespawner_override": {"cpu_guarantee": 1, "mem_guarantee": "4G"},
        "profile_options": {
            "image": choices("Version", [f"inseefrlab/onyxia-jupyter-python:{t}" for t in
                                         ("py3.13.2", "py3.12.9", "py3.11.11")], "image"),
            "cpu": choices("CPU", [0.5, 1, 2, 4], "cpu_limit"),
            "memory": choices("Memory", ["1G", "2G", "4G", "8G", "16G"], "mem_limit"),
        }} for i in range(count)]


async def kubespawner(profiles, directory):
    """KubeSpawner as its own tests build it (mock user and hub, in an event loop) with a
    kubeconfig it never calls."""
    config = Path(directory) / "kubeconfig"
    config.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "none",
        "clusters": [{"name": "none", "cluster": {"server": "https://127.0.0.1:1"}}],
        "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none"}}],
        "users": [{"name": "none", "user": {"token": "unused"}}]}))
    os.environ["KUBECONFIG"] = str(config)
    from kubespawner import KubeSpawner
    return KubeSpawner(_mock=True, profile_list=profiles)


def timed(fn, rounds):
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n, rounds = args.requests, args.rounds

    with tempfile.TemporaryDirectory() as tmp:
        make_catalog(tmp, args.entries)
        dc = DatalabCatalog(sources=[tmp], region={"cpu": 1, "memory": 4, "disk": 10})

        def datalab_page():
            context = dc.context(USER, GROUPS, "alice@example.fr")
            choices = [{"entry": e, "schema": dc.schema(e, context),
                        "unavailable": e.local_unavailable(), "values": None}
                       for e in dc.entries("environment") if dc.allowed(e, GROUPS)]
            return render_form(choices), {c["entry"].id: c["schema"] for c in choices}

        t0 = time.perf_counter()
        html, schemas = datalab_page()
        cold = time.perf_counter() - t0
        assert html.count('type="radio" name="entry"') == args.entries, "not every entry was rendered"

        ids = sorted(schemas)
        posts = [{"entry": [ids[i % len(ids)]], "_xsrf": ["x"],
                  f"{ids[i % len(ids)]}/version": ["py3.12.9"],
                  f"{ids[i % len(ids)]}/resources.cpu": [str(0.5 * (1 + i % 4))],
                  f"{ids[i % len(ids)]}/resources.memory": [str(1 + i % 8)],
                  f"{ids[i % len(ids)]}/connections.s3": ["false", "true"],
                  f"{ids[i % len(ids)]}/connections.vault": ["false"]} for i in range(n)]
        forms = [parse_form(p, schemas) for p in posts]

        def datalab_validate():
            for form in forms:
                dc.launch(form["entry"], form["options"], username=USER, groups=GROUPS)

        profiles = profile_list(args.entries)
        loop = asyncio.new_event_loop()
        spawner = loop.run_until_complete(kubespawner(profiles, tmp))
        ks_posts = [{"profile": [p["slug"]], "_xsrf": ["x"],
                     f"profile-option-{p['slug']}--image":
                         ["inseefrlab/onyxia-jupyter-python:py3.12.9"],
                     f"profile-option-{p['slug']}--cpu": ["2"],
                     f"profile-option-{p['slug']}--memory": ["4G"]}
                    for p in (profiles[i % len(profiles)] for i in range(n))]
        ks_options = [spawner.options_from_form(p) for p in ks_posts]
        assert spawner._render_options_form(profiles).count('name="profile"') == args.entries

        def kubespawner_validate():
            async def run():
                for options in ks_options:
                    spawner.user_options = options
                    await spawner.load_user_options()
            loop.run_until_complete(run())

        rows = [
            ("render", timed(datalab_page, rounds),
             timed(lambda: spawner._render_options_form(profiles), rounds)),
            ("parse", timed(lambda: [parse_form(p, schemas) for p in posts], rounds),
             timed(lambda: [spawner.options_from_form(p) for p in ks_posts], rounds)),
            ("validate", timed(datalab_validate, rounds), timed(kubespawner_validate, rounds)),
        ]
        ks_page = spawner._render_options_form(profiles)
        for task in asyncio.all_tasks(loop):  # kubespawner's client-closing task
            task.cancel()
        loop.run_until_complete(asyncio.gather(*asyncio.all_tasks(loop), return_exceptions=True))
        loop.close()
    print(f"{args.entries} entries/profiles, {n} requests, median of {rounds} rounds")
    print(f"{'measure':<10}{'datalab s':>12}{'kubespawner s':>15}{'datalab / ks':>14}"
          f"{'datalab per item ms':>21}")
    for name, ours, theirs in rows:
        per = ours / (args.entries if name == "render" else n) * 1000
        print(f"{name:<10}{ours:>12.4f}{theirs:>15.4f}{ours / theirs:>14.2f}{per:>21.3f}")
    print(f"datalab cold load + render (reading and checking {args.entries} files): {cold:.3f} s; "
          f"page {len(html) / 1024:.0f} KiB (KubeSpawner's: {len(ks_page) / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
