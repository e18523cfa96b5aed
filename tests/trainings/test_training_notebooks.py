"""Every shipped training, in each language, started for alice through the hub of a real
`datalab up`, and its notebook executed top to bottom in her server's kernel.

For each training and language: alice's browser (Accept-Language) starts the training
from the spawn page as a named server; its material is in her workspace
(``trainings/<id>/``) and the server opens the notebook of her language. Then every code
cell of that notebook runs, in order, in one kernel of that server (over the same
websocket JupyterLab uses), from the notebook's folder: a failing cell fails the test
with its source and traceback.
"""

import json
import re
import time
import uuid
from pathlib import Path

import nbformat
import pytest
import websocket

from jupyterhub_datalab.catalog import DatalabCatalog

from ..stackctl import oidc_login, start_server

TRAININGS = ["first-steps", "parquet-duckdb", "mlflow-tracking"]
ACCEPT = {"en": "en-GB,en;q=0.9", "fr": "fr-FR,fr;q=0.9,en;q=0.5"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
USER = "alice"


@pytest.fixture(scope="module")
def session(stack):
    return oidc_login(stack.hub_url, USER, stack.password(USER))


def _xsrf(session, path):
    cookies = [c for c in session.cookies if c.name == "_xsrf" and path.startswith(c.path.rstrip("/"))]
    return max(cookies, key=lambda c: len(c.path)).value


class RemoteKernel:
    """One kernel of a user's (named) server, driven over the server's REST API and websocket."""

    def __init__(self, session, hub_url, user, server, path, timeout=300):
        self.session, self.timeout = session, timeout
        self.base = f"{hub_url}/user/{user}/{server}"
        self.headers = {"X-XSRFToken": _xsrf(session, f"/user/{user}/{server}/api")}
        r = session.post(f"{self.base}/api/kernels", json={"name": "python3", "path": path},
                         headers=self.headers, timeout=60)
        assert r.status_code == 201, r.text
        self.id = r.json()["id"]
        cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        self.ws = websocket.create_connection(
            self.base.replace("http://", "ws://") + f"/api/kernels/{self.id}/channels",
            header=[f"Cookie: {cookie}"], origin=hub_url, timeout=timeout)
        self.session_id = uuid.uuid4().hex

    def execute(self, code):
        """(stdout text, error traceback or None) of one cell."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": "test", "session": self.session_id,
                       "msg_type": "execute_request", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
        out, error = [], None
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                error = ANSI.sub("", "\n".join(msg["content"]["traceback"]))
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out), error
        raise AssertionError(f"cell not done in {self.timeout} s:\n{code}")

    def close(self):
        self.ws.close()
        self.session.delete(f"{self.base}/api/kernels/{self.id}", headers=self.headers, timeout=30)


def run_notebook(session, hub_url, server, folder, name):
    """Execute every code cell of the workspace's notebook in order; return seconds per cell."""
    r = session.get(f"{hub_url}/user/{USER}/{server}/api/contents/{folder}/{name}",
                    headers={"X-XSRFToken": _xsrf(session, f"/user/{USER}/{server}/api")}, timeout=60)
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
    headers = {"X-XSRFToken": _xsrf(session, f"/user/{USER}/{server}/datalab")}
    for name in names:
        session.delete(f"{base}/services/{USER}/{name}", headers=headers, timeout=120)


def stop_server(session, hub_url, server):
    headers = {"X-XSRFToken": _xsrf(session, "/hub/api")}
    r = session.delete(f"{hub_url}/hub/api/users/{USER}/servers/{server}", json={"remove": True},
                       headers=headers, timeout=60)
    assert r.status_code in (202, 204), (r.status_code, r.text)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        user = session.get(f"{hub_url}/hub/api/users/{USER}", headers=headers, timeout=30).json()
        if server not in user.get("servers", {}):
            return
        time.sleep(0.5)
    raise AssertionError(f"{server} not stopped")


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
