"""What users of a release get: the wheel, installed with the `embedded` extra into a fresh
venv by the pip that venv brings, with no Node build step; its prebuilt JupyterLab
extension is listed by `jupyter labextension list`, and `datalab up` runs from it (Node
is needed then only to run the embedded identity provider)."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .stackctl import RunningStack, alive, free_base_port, oidc_login, page_config, start_server

ROOT = Path(__file__).resolve().parent.parent

NO_NODE = """#!/bin/sh
echo "$0 $*" >> "{log}"
echo "no Node here: installing a wheel must not build anything" >&2
exit 127
"""


def run(args, **kwargs):
    r = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)
    assert r.returncode == 0, f"{' '.join(map(str, args))} exited {r.returncode}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The release wheel, built as `pip wheel .` builds it (extension and Node bundles inside)."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)], timeout=900)
    (path,) = out.glob("jupyterhub_datalab-*.whl")
    return path


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory):
    """A fresh venv with the wheel and its `embedded` extra, installed where `npm` and `node`
    only record that someone called them."""
    base = tmp_path_factory.mktemp("release")
    shims, calls = base / "no-node", base / "node-calls.log"
    shims.mkdir()
    for name in ("node", "npm", "npx", "yarn", "jlpm"):
        (shims / name).write_text(NO_NODE.format(log=calls))
        (shims / name).chmod(0o755)
    run([sys.executable, "-m", "venv", str(base / "venv")], timeout=120)
    pip = base / "venv/bin/pip"
    env = {**os.environ, "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)
    run([str(pip), "install", "-q", f"{wheel}[embedded]"], env=env, timeout=900)
    assert not calls.exists(), f"installing the wheel ran Node: {calls.read_text()}"
    return base / "venv"


def test_the_wheel_carries_the_prebuilt_extension_the_node_bundles_and_the_catalog(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for inside in ("share/jupyter/labextensions/jupyterhub-datalab/package.json",
                   "etc/jupyter/jupyter_server_config.d/jupyterhub_datalab.json",
                   "jupyterhub_datalab/devstack/node/dist/provider.mjs",
                   "jupyterhub_datalab/catalog_files/environments/jupyter-python.json",
                   # what the shipped entries' "$schema" points at, and the validator reads
                   "jupyterhub_datalab/catalog_files/catalog.schema.json",
                   # the sidebar's French: its .po and the JSON JupyterLab reads, compiled at build
                   "jupyterhub_datalab/locale/fr_FR/LC_MESSAGES/jupyterhub_datalab.po",
                   "jupyterhub_datalab/locale/fr_FR/LC_MESSAGES/jupyterhub_datalab.json"):
        assert any(n.endswith(inside) for n in names), f"{inside} is not in {wheel.name}"
    assert not any("node_modules" in n for n in names)


def test_jupyter_lists_the_prebuilt_extension(venv):
    r = run([str(venv / "bin/jupyter"), "labextension", "list"], timeout=120)
    listing = r.stdout + r.stderr
    line = next((x for x in listing.splitlines() if "jupyterhub-datalab" in x), "")
    assert "enabled" in line and "OK" in line, listing
    assert str(venv) in listing  # from the venv's share/jupyter, not from a source tree


def test_jupyterlab_finds_the_sidebar_french_catalog(venv):
    """Through the package's `jupyterlab.locale` entry point, as the lab's translations API does."""
    r = run([str(venv / "bin/python"), "-c",
             "from jupyterlab_server.translation_utils import get_language_pack; "
             "data, _ = get_language_pack('fr_FR'); "
             "print(data['jupyterhub_datalab']['Upload'][0])"], timeout=120)
    assert r.stdout.strip() == "Téléverser", r.stdout + r.stderr


def test_datalab_up_runs_from_the_installed_wheel(venv, tmp_path):
    stack = RunningStack(tmp_path / "state", free_base_port(), command=[str(venv / "bin/datalab")])
    stack.start()
    try:
        session = oidc_login(stack.hub_url, "alice", stack.password("alice"))
        lab = start_server(session, stack.hub_url, "alice")
        names = [ext["name"] for ext in page_config(lab.text)["federated_extensions"]]
        assert "jupyterhub-datalab" in names
        server = stack.server_process("alice")
        assert str(venv) in " ".join(server.cmdline()), server.cmdline()  # the venv's own server
    finally:
        pids = stack.stop()
    assert stack.proc.returncode == 0, stack.read_output()
    assert not alive(pids), f"processes left after shutdown: {alive(pids)}"
