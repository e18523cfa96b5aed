"""The launch plan: decided once from the catalog's checked launch, then run as is by
either backend. Pure functions: no process, no API server."""

import asyncio
import dataclasses

import pytest

from jupyterhub_datalab import companion_manifests as cm
from jupyterhub_datalab.catalog import check_options, load, shipped_catalog, to_launch
from jupyterhub_datalab.companions import BackendError, Companion
from jupyterhub_datalab.companions.kubernetes import KubernetesBackend
from jupyterhub_datalab.companions.plan import LaunchPlan, clean_prefix, fill_connection, make_plan

pytestmark = pytest.mark.unit

CONTEXT = {"user": {"name": "alice", "email": "alice@example.org", "project": "", "projects": []},
           "region": {}}


@pytest.fixture(scope="module")
def catalog():
    entries, errors = load([shipped_catalog()])
    assert not errors, errors
    return entries


def companion(entry_id, name="svc-1", **fields):
    return Companion(owner="alice", name=name, entry=entry_id, version="", options={},
                     namespace="user-alice", **fields)


def launch_of(entry, options=None):
    return to_launch(entry, check_options(entry, options or {}, CONTEXT))


def counter():
    made = iter(range(100))
    return lambda: f"token-{next(made)}"


def test_the_plan_says_everything_but_where(catalog):
    entry = catalog["postgresql"]
    launch = launch_of(entry, {"database": "sales", "resources": {"cpu": 1, "memory": 2}, "disk": 5})
    plan = make_plan(companion("postgresql", endpoint={"prefix": "/services/datalab/open/alice/db/"}),
                     launch, {"AWS_ACCESS_KEY_ID": "k"}, token=counter())
    assert isinstance(plan, LaunchPlan)
    assert (plan.owner, plan.name, plan.version) == ("alice", "svc-1", launch.version)
    assert plan.image == f"{entry.image}:{launch.version}"
    assert (plan.cpu, plan.memory, plan.disk) == (1.0, 2.0, 5)
    assert plan.secrets == {"password": "token-0"}
    assert plan.credentials == {"AWS_ACCESS_KEY_ID": "k"}
    assert plan.prefix == "/services/datalab/open/alice/db"  # as UIs are started with it
    assert plan.port == entry.service["port"] and plan.ui_path is None
    assert plan.data_path == entry.service["data_path"] and not plan.uses_workspace
    # where it runs is the backend's: the same plan gives each its own address
    here = plan.connection(plan.values(host="127.0.0.1", port=5999))
    there = plan.connection(plan.values(host="db.user-alice.svc", port=5432))
    assert here["DATABASE_URL"] == "postgresql://datalab:token-0@127.0.0.1:5999/sales"
    assert there["DATABASE_URL"] == "postgresql://datalab:token-0@db.user-alice.svc:5432/sales"
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.secrets = {}


def test_passwords_are_made_once_then_kept(catalog):
    launch = launch_of(catalog["redis"])
    first = make_plan(companion("redis"), launch, token=counter())
    again = make_plan(companion("redis", secrets=dict(first.secrets)), launch, token=counter())
    assert again.secrets == first.secrets == {"password": "token-0"}
    # where it runs keeps its own (the data was initialised with them): they win
    assert first.keeping({"password": "on-disk"}).secrets == {"password": "on-disk"}
    assert first.keeping({}).secrets == first.secrets


def test_the_ui_prefix_is_the_launchs_else_the_backends(catalog):
    launch = launch_of(catalog["mlflow"])
    given = make_plan(companion("mlflow", endpoint={"prefix": "/custom/"}), launch, ui_prefix="/x")
    assert given.prefix == "/custom"
    default = make_plan(companion("mlflow"), launch, ui_prefix="/services/datalab/open/{owner}/{name}")
    assert default.prefix == "/services/datalab/open/alice/svc-1"
    assert clean_prefix("/") == clean_prefix("") == clean_prefix(None) == ""
    assert make_plan(companion("mlflow"), launch).ui_path == "/"


def test_an_environment_is_not_planned_as_a_service(catalog):
    with pytest.raises(BackendError) as refused:
        make_plan(companion("jupyter-python"), launch_of(catalog["jupyter-python"]))
    assert refused.value.status == 400 and "n'est pas un service" in refused.value.fr


def test_a_connection_leaves_out_what_has_no_value():
    values = {"host": "h", "port": 1}
    assert fill_connection({"A": "{host}:{port}", "S3": "{credential.AWS_ENDPOINT_URL}", "E": ""},
                           values) == {"A": "h:1"}


def without_pattern(entry):
    """An app entry as an admin may write it: no pattern on the file option."""
    options = {**entry.options, "properties": {**entry.options["properties"], "file": {
        "type": "string", "default": "app.py"}}}
    return dataclasses.replace(entry, options=options)


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "apps/../../x.py", ""])
def test_an_app_file_outside_the_workspace_is_refused_by_the_plan(catalog, path):
    entry = without_pattern(catalog["app"])
    launch = to_launch(entry, {"file": path, "version": entry.versions[0]})
    with pytest.raises(BackendError) as refused:
        make_plan(companion("app"), launch)
    assert refused.value.status == 400
    assert "must be a path inside your workspace" in refused.value.en
    assert "doit être un chemin dans votre espace de travail" in refused.value.fr
    ok = to_launch(entry, {"file": "apps/dash.py", "version": entry.versions[0]})
    assert make_plan(companion("app"), ok).workspace_files == (("file", "apps/dash.py"),)


def test_kubernetes_refuses_an_app_file_outside_the_workspace(catalog):
    """Seen before the plan: only the local backend checked an app's file; on Kubernetes
    an entry without a pattern mounted the workspace and ran ``{workspace}/../../x``."""
    entry = without_pattern(catalog["app"])
    launch = to_launch(entry, {"file": "../../etc/passwd", "version": entry.versions[0]})
    backend = KubernetesBackend(api_host="http://127.0.0.1:9", admission_timeout=1)
    with pytest.raises(BackendError) as refused:
        asyncio.run(backend.launch(companion("app"), launch, {}))
    assert refused.value.status == 400, refused.value.en  # not 503: refused before any call


def test_variables_the_options_set_reach_the_pod_as_they_reach_a_process(catalog):
    """Seen before the plan: an option with ``sets: env:X`` reached a local companion's
    environment, and was dropped on Kubernetes (the manifests never got it)."""
    entry = catalog["redis"]
    options = {**entry.options, "properties": {**entry.options["properties"], "debug": {
        "type": "string", "default": "verbose", "x-datalab": {"sets": "env:REDIS_LOGLEVEL"}}}}
    entry = dataclasses.replace(entry, options=options)
    plan = make_plan(companion("redis"), to_launch(entry, {"debug": "verbose", "version": entry.versions[0]}))
    assert plan.env == {"REDIS_LOGLEVEL": "verbose"}
    manifests, _ = cm.companion_manifests(plan, namespace="user-alice",
                                          settings=KubernetesBackend().settings())
    deployment = next(m for m in manifests if m["kind"] == "Deployment")
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "REDIS_LOGLEVEL", "value": "verbose"} in env
