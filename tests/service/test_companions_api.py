"""Companion services through the API the Services panel uses, on a real `datalab up`.

alice launches PostgreSQL and MLflow through her server (``/user/alice/datalab/api/
services/...``, forwarded to the datalab hub service with her server's token), uses
them from a notebook kernel with the discovered variables, and shares them with her
project; bob (same project) and carol (no project) try everything they should not.
"""

import json
import secrets
import time
import urllib.parse

import boto3
import pytest
import requests

from ..stackctl import AppSite, oidc_login, run_in_kernel
from ..waiting import wait_until

API = "services"  # what alice, bob and carol call (tests/clients.py)

ROW = f"row-{secrets.token_hex(6)}"


def wait_ready(client, owner, name, timeout=180):
    seen = {}

    def ready():
        seen.update(client("GET", f"services/{owner}/{name}").json())
        assert seen["status"] in ("ready", "starting"), seen
        return dict(seen) if seen["status"] == "ready" else None

    return wait_until(ready, lambda: f"{owner}/{name} ready ({seen})", timeout, interval=0.5)


@pytest.fixture(scope="module")
def launched(alice):
    """alice's PostgreSQL "warehouse" and MLflow, launched as the panel does, ready."""
    t0 = time.monotonic()
    pg = alice("POST", "services", json={"entry": "postgresql", "name": "Warehouse",
                                         "options": {"database": "sales"}})
    assert pg.status_code == 201, pg.text
    assert pg.json()["name"] == "warehouse" and pg.json()["status"] == "starting"
    ml = alice("POST", "services", json={"entry": "mlflow", "options": {}})
    assert ml.status_code == 201, ml.text
    name = ml.json()["name"]
    assert name == "mlflow-1"
    services = {"pg": wait_ready(alice, "alice", "warehouse"), "mlflow": wait_ready(alice, "alice", name)}
    print(f"PostgreSQL and MLflow ready {time.monotonic() - t0:.1f} s after launch")
    return services


def test_catalog_lists_services_with_their_schemas(alice):
    r = alice("GET", "catalog")
    assert r.status_code == 200
    entries = {e["id"]: e for e in r.json()["entries"]}
    assert {"postgresql", "mlflow"} <= set(entries)
    assert "jupyter-python" not in entries  # environments are the hub's
    pg = entries["postgresql"]
    assert pg["name"] == {"en": "PostgreSQL", "fr": "PostgreSQL"} and pg["unavailable"] is None
    assert pg["schema"]["properties"]["version"]["enum"] == pg["versions"]
    assert pg["schema"]["properties"]["resources"]["properties"]["cpu"]["maximum"] == 2  # admin bound


@pytest.mark.parametrize("body, status, words", [
    ({"entry": "no-such-thing"}, 400, "no such service"),
    ({"entry": "jupyter-python"}, 400, "no such service"),  # an environment, not a service
    ({"entry": "postgresql", "options": {"resources": {"cpu": 64}}}, 400, "resources.cpu"),
    ({"entry": "postgresql", "options": {"database": "x; DROP TABLE"}}, 400, "database"),
    ({"entry": "postgresql", "options": {"surprise": 1}}, 400, "unknown option"),
    ({"entry": "postgresql", "options": "all"}, 400, "expected an object"),
    ({"entry": "postgresql", "name": "../x"}, 400, "Name"),
    ({"entry": "postgresql", "name": "a/b"}, 400, "Name"),
    ({"entry": "postgresql", "name": "x" * 5000}, 400, "at most 40"),
    ({"entry": "postgresql", "name": "données"}, 400, "Name"),
    ({"entry": "postgresql", "name": "-"}, 400, "Name"),
    ({"entry": "postgresql", "name": 7}, 400, "Name"),
])
def test_bad_input_is_refused_in_words_and_creates_nothing(alice, stack, body, status, words):
    r = alice("POST", "services", json=body)
    assert r.status_code == status, r.text
    message = r.json()["message"]
    assert words in message and " / " in message and "Traceback" not in message, message
    names = [s["name"] for s in alice("GET", "services").json()["services"]]
    assert all(n in ("warehouse", "mlflow-1") for n in names), names
    local = stack.state_dir / "services/local/alice"
    assert not local.exists() or {p.name for p in local.iterdir()} <= {"warehouse", "mlflow-1"}


def test_malformed_requests_get_words(alice):
    r = alice("POST", "services", data=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["message"]
    r = alice("GET", "no-such-path")
    assert r.status_code == 404 and r.json()["message"]
    r = alice("GET", "services/alice/x/unknown")
    assert r.status_code == 404 and "Traceback" not in r.text


def test_alice_uses_postgresql_and_mlflow_from_a_notebook(alice, launched, stack):
    pg, ml = launched["pg"], launched["mlflow"]
    assert pg["mine"] and pg["can_delete"] and pg["url"] is None
    assert pg["connection"]["DATABASE_URL"].startswith("postgresql://datalab:")
    assert ml["url"] == "/services/datalab/open/alice/mlflow-1/"
    env = alice("GET", "env").json()["env"]
    assert env["DATABASE_URL"] == env["DATABASE_URL_WAREHOUSE"] == pg["connection"]["DATABASE_URL"]
    assert env["MLFLOW_TRACKING_URI"] == ml["connection"]["MLFLOW_TRACKING_URI"]
    out = run_in_kernel(alice.session, stack.hub_url, "alice", f"""
import os, psycopg
with psycopg.connect(os.environ["DATABASE_URL"]) as db:
    db.execute("CREATE TABLE IF NOT EXISTS notes (text TEXT)")
    db.execute("INSERT INTO notes VALUES (%s)", ("{ROW}",))
    print("db", db.execute("SELECT current_database()").fetchone()[0])
""")
    assert "db sales" in out
    out = run_in_kernel(alice.session, stack.hub_url, "alice", """
import os, pathlib, mlflow
mlflow.set_experiment("churn")
with mlflow.start_run() as run:
    mlflow.log_param("alpha", 0.5)
    mlflow.log_metric("auc", 0.91)
    path = pathlib.Path("model-card.txt"); path.write_text("a very good model")
    mlflow.log_artifact(str(path))
    print("artifacts", mlflow.get_artifact_uri())
print("auc", mlflow.get_run(run.info.run_id).data.metrics["auc"])
print("telemetry off", os.environ.get("MLFLOW_DISABLE_TELEMETRY"))
""")
    assert "auc 0.91" in out, out
    # MLflow's telemetry thread rewrites os.environ while requests reads it (a KeyError
    # seen in CI); and nothing about users' runs should leave the platform
    assert "telemetry off true" in out, out
    uri = out.split("artifacts ", 1)[1].split()[0]
    assert uri.startswith("s3://user-alice/mlflow/"), uri
    # the artifact is in alice's S3 space, readable with her own credentials
    server = stack.server_env("alice")
    s3 = boto3.client("s3", endpoint_url=server["AWS_ENDPOINT_URL"], region_name="us-east-1",
                      aws_access_key_id=server["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=server["AWS_SECRET_ACCESS_KEY"],
                      aws_session_token=server["AWS_SESSION_TOKEN"])
    key = uri[len("s3://user-alice/"):] + "/model-card.txt"
    assert s3.get_object(Bucket="user-alice", Key=key)["Body"].read() == b"a very good model"


def test_alice_opens_the_mlflow_ui_through_the_proxy(alice, launched, stack):
    path = launched["mlflow"]["url"]
    site = AppSite(alice.session, stack.hub_url, path)
    # served on its own origin, never the hub's
    assert site.netloc == f"mlflow-1--alice.apps.localhost:{stack.port + 16}", site.first.headers
    r = site.last
    assert r.status_code == 200 and r.url.endswith(path) and "<html" in r.text.lower()
    assert "_datalab_ticket" not in r.url
    # the UI's own API, as its pages call it (same origin, POST)
    r = site.request("POST", path + "ajax-api/2.0/mlflow/experiments/search", json={"max_results": 10},
                     headers={"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"})
    assert r.status_code == 200 and "churn" in r.text, r.text[:300]
    # a cross-site page cannot make alice's browser post there
    r = site.request("POST", path + "ajax-api/2.0/mlflow/experiments/create", json={"name": "evil"},
                     headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors",
                              "Origin": "http://evil.example"})
    assert r.status_code in (302, 403), r.status_code
    # a ticket works once, and only for its service
    ticket = urllib.parse.parse_qs(urllib.parse.urlsplit(site.first.headers["Location"]).query)["_datalab_ticket"][0]
    replay = AppSite(requests.Session(), stack.hub_url, path)  # a fresh browser
    replay.netloc = site.netloc
    r = replay.get(f"{path}?_datalab_ticket={urllib.parse.quote(ticket)}")
    assert r.status_code == 302 and r.headers["Location"].startswith(stack.hub_url), r.status_code


def test_logs_and_events_say_what_happened(alice, launched):
    lines = alice("GET", "services/alice/warehouse/logs", params={"tail": 5}).json()["lines"]
    assert 0 < len(lines) <= 5
    events = [e["message"] for e in alice("GET", "services/alice/warehouse/events").json()["events"]]
    assert any("Launched by alice" in m for m in events), events
    assert any("ready" in m for m in events), events
    assert alice("GET", "services/alice/warehouse/logs", params={"tail": "lots"}).status_code == 400


def _open_ui(client, stack, url):
    return AppSite(client.session, stack.hub_url, url).last


def test_outsiders_cannot_see_open_or_delete(alice, bob, carol, launched, stack):
    ui = launched["mlflow"]["url"]
    for outsider in (bob, carol):
        assert outsider("GET", "services").json()["services"] == []
        for method, path in (("GET", "services/alice/warehouse"), ("DELETE", "services/alice/warehouse"),
                             ("GET", "services/alice/warehouse/logs"), ("GET", "services/alice/mlflow-1/events"),
                             ("POST", "services/alice/warehouse/stop"), ("POST", "services/alice/warehouse/share")):
            r = outsider(method, path, json={"project": "stats"})
            assert r.status_code == 404, (outsider.user, method, path, r.status_code)
            assert launched["pg"]["connection"]["PGPASSWORD"] not in r.text
        # the same words as for a service that does not exist
        nothing = outsider("GET", "services/alice/nothing").json()["message"]
        real = outsider("GET", "services/alice/warehouse").json()["message"]
        assert real.replace("warehouse", "?") == nothing.replace("nothing", "?")
        r = _open_ui(outsider, stack, ui)
        assert r.status_code == 404 and "static-files" not in r.text, (outsider.user, r.status_code)
        env = outsider("GET", "env").json()["env"]
        assert launched["pg"]["connection"]["PGPASSWORD"] not in json.dumps(env)
    assert alice("GET", "services/alice/warehouse").json()["status"] == "ready"


def test_the_api_wants_a_token_with_the_service_scope(stack, launched):
    api = stack.hub_url + "/services/datalab/api/"
    assert requests.get(api + "services", timeout=30).status_code == 401
    # a logged-in browser's cookies are not enough: pages cannot call the API for their visitor
    session = oidc_login(stack.hub_url, "alice", stack.password("alice"))
    session.get(stack.hub_url + launched["mlflow"]["url"], timeout=60, allow_redirects=False)  # the service's cookie
    r = session.get(api + "services", timeout=30)
    assert r.status_code == 401 and "token" in r.json()["message"]
    # bob's own server token reaches the service as bob, never as alice
    token = stack.server_env("bob")["JUPYTERHUB_API_TOKEN"]
    r = requests.get(api + "services/alice/warehouse", headers={"Authorization": f"token {token}"}, timeout=30)
    assert r.status_code == 404
    r = requests.get(api + "services", headers={"Authorization": "token not-a-token"}, timeout=30)
    assert r.status_code == 401


def test_sharing_with_the_project(alice, bob, carol, launched, stack):
    assert alice("POST", "services/alice/warehouse/share", json={"project": "gpu"}).status_code == 400
    assert alice("POST", "services/alice/warehouse/share", json={}).status_code == 400
    for name in ("warehouse", "mlflow-1"):
        r = alice("POST", f"services/alice/{name}/share", json={"project": "stats"})
        assert r.status_code == 200 and r.json()["shared"] and r.json()["project"] == "stats", r.text
    seen = {s["name"]: s for s in bob("GET", "services").json()["services"]}
    assert set(seen) == {"warehouse", "mlflow-1"}
    pg = seen["warehouse"]
    assert not pg["mine"] and not pg["can_delete"] and pg["owner"] == "alice"
    assert pg["connection"] == launched["pg"]["connection"]
    # bob opens the UI, reads the logs, gets the variables in his kernels
    r = _open_ui(bob, stack, launched["mlflow"]["url"])
    assert r.status_code == 200 and "<html" in r.text.lower()
    assert bob("GET", "services/alice/warehouse/logs").status_code == 200
    env = bob("GET", "env").json()["env"]
    assert env["DATABASE_URL_ALICE___WAREHOUSE"] == pg["connection"]["DATABASE_URL"]
    out = run_in_kernel(bob.session, stack.hub_url, "bob", """
import os, psycopg
with psycopg.connect(os.environ["DATABASE_URL"]) as db:
    print(db.execute("SELECT text FROM notes").fetchall())
""")
    assert ROW in out
    # but only alice deletes, stops or reshares
    for method, path in (("DELETE", "services/alice/warehouse"), ("POST", "services/alice/warehouse/stop"),
                         ("POST", "services/alice/warehouse/start"), ("DELETE", "services/alice/warehouse/share"),
                         ("POST", "services/alice/warehouse/share")):
        r = bob(method, path, json={"project": "stats"})
        assert r.status_code == 403 and "Only alice" in r.json()["message"], (method, path, r.text)
    assert alice("GET", "services/alice/warehouse").json()["status"] == "ready"
    # carol is in no project: still nothing
    assert carol("GET", "services").json()["services"] == []
    assert _open_ui(carol, stack, launched["mlflow"]["url"]).status_code == 404
    # unshared: bob is an outsider again, his open page included
    bobs_page = AppSite(bob.session, stack.hub_url, launched["mlflow"]["url"])
    assert bobs_page.last.status_code == 200
    assert not alice("DELETE", "services/alice/mlflow-1/share").json()["shared"]
    assert bobs_page.get(launched["mlflow"]["url"]).status_code == 404
    assert [s["name"] for s in bob("GET", "services").json()["services"]] == ["warehouse"]
    assert _open_ui(bob, stack, launched["mlflow"]["url"]).status_code == 404


def test_names_are_unique_per_owner(alice, bob, launched):
    r = alice("POST", "services", json={"entry": "redis", "name": "warehouse"})
    assert r.status_code == 409 and "warehouse" in r.json()["message"]


def test_stop_and_start_keep_the_data(alice, launched, stack):
    r = alice("POST", "services/alice/warehouse/stop")
    assert r.status_code == 200 and r.json()["status"] == "stopped"
    assert "DATABASE_URL_WAREHOUSE" not in alice("GET", "env").json()["env"]
    r = alice("POST", "services/alice/warehouse/start")
    assert r.status_code == 200, r.text
    wait_ready(alice, "alice", "warehouse")
    out = run_in_kernel(alice.session, stack.hub_url, "alice", """
import os, psycopg
with psycopg.connect(os.environ["DATABASE_URL"]) as db:
    print(db.execute("SELECT text FROM notes").fetchall())
""")
    assert ROW in out


def test_only_the_owner_deletes_and_delete_removes_everything(alice, bob, launched, stack):
    assert bob("DELETE", "services/alice/warehouse").status_code == 403  # still shared with stats
    for name in ("warehouse", "mlflow-1"):
        r = alice("DELETE", f"services/alice/{name}")
        assert r.status_code == 200, r.text
        assert alice("GET", f"services/alice/{name}").status_code == 404
        assert not (stack.state_dir / f"services/local/alice/{name}").exists()
        assert not (stack.state_dir / f"services/companions/alice/{name}.json").exists()
    assert alice("GET", "services").json()["services"] == []
    assert bob("GET", "services").json()["services"] == []
    assert "DATABASE_URL" not in alice("GET", "env").json()["env"]
