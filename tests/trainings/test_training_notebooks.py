"""Every shipped training, in each language, started for alice through the hub of a real
`datalab up`, and its notebook executed top to bottom in her server's kernel.

For each training and language: alice's browser (Accept-Language) starts the training
from the spawn page as a named server; its material is in her workspace
(``trainings/<id>/``) and the server opens the notebook of her language. Then every code
cell of that notebook runs, in order, in one kernel of that server (over the same
websocket JupyterLab uses), from the notebook's folder: a failing cell fails the test
with its source and traceback.
"""

import time
from pathlib import Path

import nbformat
import pytest

from jupyterhub_datalab.catalog import DatalabCatalog

from ..stackctl import RemoteKernel, oidc_login, start_server, xsrf_of
from ..waiting import wait_until

TRAININGS = ["first-steps", "parquet-duckdb", "mlflow-tracking"]
ACCEPT = {"en": "en-GB,en;q=0.9", "fr": "fr-FR,fr;q=0.9,en;q=0.5"}
USER = "alice"


@pytest.fixture(scope="module")
def session(stack):
    return oidc_login(stack.hub_url, USER, stack.password(USER))


def run_notebook(session, hub_url, server, folder, name):
    """Execute every code cell of the workspace's notebook in order; return seconds per cell."""
    r = session.get(f"{hub_url}/user/{USER}/{server}/api/contents/{folder}/{name}",
                    headers={"X-XSRFToken": xsrf_of(session, f"/user/{USER}/{server}/api")}, timeout=60)
    assert r.status_code == 200, r.text
    nb = nbformat.from_dict(r.json()["content"])
    kernel = RemoteKernel(session, hub_url, USER, server, folder)
    timings = []
    try:
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t0 = time.monotonic()
            _, error = kernel.execute(cell.source)
            timings.append(round(time.monotonic() - t0, 1))
            if error:
                raise AssertionError(f"{folder}/{name}, cell {i} failed:\n{cell.source}\n\n{error}")
    finally:
        kernel.close()
    return timings


def delete_companions(session, hub_url, server, names):
    """Leave no companion behind when a notebook stopped before its last cell."""
    base = f"{hub_url}/user/{USER}/{server}/datalab/api/services"
    headers = {"X-XSRFToken": xsrf_of(session, f"/user/{USER}/{server}/datalab")}
    for name in names:
        session.delete(f"{base}/services/{USER}/{name}", headers=headers, timeout=120)


def stop_server(session, hub_url, server):
    headers = {"X-XSRFToken": xsrf_of(session, "/hub/api")}
    r = session.delete(f"{hub_url}/hub/api/users/{USER}/servers/{server}", json={"remove": True},
                       headers=headers, timeout=60)
    assert r.status_code in (202, 204), (r.status_code, r.text)
    wait_until(lambda: server not in session.get(f"{hub_url}/hub/api/users/{USER}", headers=headers,
                                                 timeout=30).json().get("servers", {}),
               f"{server} stopped", interval=0.5)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("training", TRAININGS)
def test_training_opens_its_notebook_and_runs_top_to_bottom(stack, session, training, lang):
    entry = DatalabCatalog().get(training)
    notebook = entry.training["open"][lang]
    server = f"{training}-{lang}"
    folder = f"trainings/{training}"
    session.headers["Accept-Language"] = ACCEPT[lang]
    t0 = time.monotonic()
    start_server(session, stack.hub_url, USER, entry=training, server=server)
    started = time.monotonic() - t0
    try:
        # the material is in alice's workspace, every file of it
        material = Path(entry.source).parent / entry.training["material"]["path"]
        home = stack.state_dir / "users" / USER / folder
        shipped = sorted(str(p.relative_to(material)) for p in material.rglob("*") if p.is_file())
        assert shipped and all((home / name).is_file() for name in shipped), (shipped, list(home.iterdir()))
        # and the server opens the notebook of her language
        r = session.get(f"{stack.hub_url}/user/{USER}/{server}/", timeout=60)
        assert r.status_code == 200, r.status_code
        assert r.url == f"{stack.hub_url}/user/{USER}/{server}/lab/tree/{folder}/{notebook}", r.url
        t1 = time.monotonic()
        try:
            timings = run_notebook(session, stack.hub_url, server, folder, notebook)
        finally:
            delete_companions(session, stack.hub_url, server, ["first-steps-db", "mlflow-training"])
        print(f"{training} [{lang}]: started in {started:.1f} s, notebook ran in "
              f"{time.monotonic() - t1:.1f} s (cells: {timings})")
    finally:
        stop_server(session, stack.hub_url, server)


def test_a_restart_keeps_the_users_edits_and_restores_missing_files(stack, session):
    """Only missing files are copied: alice's edited notebook is kept, a deleted one comes back."""
    training, server = "parquet-duckdb", "parquet-duckdb-edit"
    home = stack.state_dir / "users" / USER / "trainings" / training
    session.headers["Accept-Language"] = ACCEPT["en"]
    start_server(session, stack.hub_url, USER, entry=training, server=server)
    stop_server(session, stack.hub_url, server)
    edited = home / "parquet-duckdb.en.ipynb"
    nb = nbformat.read(edited, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("alice's own notes"))
    nbformat.write(nb, edited)
    (home / "parquet-duckdb.fr.ipynb").unlink()
    start_server(session, stack.hub_url, USER, entry=training, server=server)
    try:
        assert "alice's own notes" in edited.read_text()
        assert (home / "parquet-duckdb.fr.ipynb").is_file()
    finally:
        stop_server(session, stack.hub_url, server)
