"""The ``service`` section of companion entries: one test per kind of error, and placeholders."""

import copy

import pytest

from jupyterhub_datalab.catalog import (
    check_document,
    check_options,
    fill_service,
    load,
    service_values,
    shipped_catalog,
)

pytestmark = pytest.mark.unit

SERVICE = {
    "id": "kv",
    "kind": "service",
    "name": {"en": "Key-value", "fr": "Clé-valeur"},
    "description": {"en": "A store", "fr": "Un magasin"},
    "icon": "redis",
    "category": "database",
    "image": {"name": "redis", "versions": ["8.2.1"]},
    "options": {"type": "object", "properties": {
        "db": {"type": "string", "default": "main",
               "x-datalab": {"label": {"en": "Database", "fr": "Base"}}}}},
    "service": {
        "port": 6379,
        "ui": None,
        "secrets": ["password"],
        "connection": {"KV_URL": "kv://:{secret.password}@{host}:{port}/{option.db}"},
        "data_path": "/data",
        "ready": {"tcp": True},
    },
    "kubernetes": {"port": 6379, "env": {"KV_PASSWORD": "{secret.password}"}},
    "local": {"cmd": ["kv-server", "--port", "{port}", "--dir", "{data}"],
              "files": {"kv.conf": "requirepass {secret.password}\n"}},
}


def errors_of(change):
    doc = copy.deepcopy(SERVICE)
    change(doc)
    return [str(e) for e in check_document(doc, "kv.json")]


def test_a_good_service_entry_passes():
    assert errors_of(lambda d: None) == []


def test_the_shipped_services_load_and_validate():
    entries, errors = load([shipped_catalog()])
    assert errors == []
    services = {e.id: e for e in entries.values() if e.kind == "service"}
    assert set(services) >= {"postgresql", "mlflow", "redis", "app"}
    for entry in services.values():
        assert entry.service["port"] and entry.name["fr"] and entry.description["fr"]
        assert "latest" not in entry.versions
    assert services["mlflow"].service["connection"]["MLFLOW_TRACKING_URI"] == "{url}"
    assert services["mlflow"].service["client_token"] == "MLFLOW_TRACKING_TOKEN"
    assert services["mlflow"].local["listen"] == services["app"].local["listen"] == "unix"
    assert services["postgresql"].service["secrets"] == ["password"]


@pytest.mark.parametrize("change, expected", [
    (lambda d: d.pop("service"), "kv.json: service: required for a service"),
    (lambda d: d["service"].update(extra=1), "kv.json: service.extra: unknown keyword; known: client_token, connection, data_path"),
    (lambda d: d["service"].update(port=70000), "kv.json: service.port: expected the port it listens on (1-65535)"),
    (lambda d: d["service"].update(port="6379"), "kv.json: service.port: expected the port"),
    (lambda d: d["service"].update(ui={"path": "ui"}), 'kv.json: service.ui: expected null (no web UI) or {"path": "/..."}'),
    (lambda d: d["service"].update(secrets=["Pass word"]), "kv.json: service.secrets: expected a list of names"),
    (lambda d: d["service"].update(secrets=["password", "password"]), "kv.json: service.secrets: a secret is listed twice"),
    (lambda d: d["service"]["connection"].update(kv_url="x"), "kv.json: service.connection.kv_url: expected NAME (capitals) -> string"),
    (lambda d: d["service"]["connection"].update(KV_URL="{secret.token}"),
     "kv.json: service.connection.KV_URL: {secret.token} is not declared in service.secrets"),
    (lambda d: d["service"]["connection"].update(KV_URL="{option.nope}"),
     "kv.json: service.connection.KV_URL: {option.nope} is not an option of this entry"),
    (lambda d: d["service"]["connection"].update(KV_URL="{hostname}"),
     "kv.json: service.connection.KV_URL: unknown placeholder {hostname}; known: {data}, {host}"),
    (lambda d: d["service"].update(data_path="data"), "kv.json: service.data_path: expected null (no data kept) or an absolute path"),
    (lambda d: d["service"].update(ready={}), "kv.json: service.ready: expected one probe"),
    (lambda d: d["service"].update(ready={"tcp": True, "http": "/health"}), "kv.json: service.ready: expected one probe"),
    (lambda d: d["service"].update(ready={"http": "health"}), "kv.json: service.ready: expected one probe"),
    (lambda d: d["service"].update(ready={"exec": "pg_isready"}), "kv.json: service.ready: expected one probe"),
    (lambda d: d["service"].update(ready={"tcp": True, "timeout": 0}), "kv.json: service.ready.timeout: expected seconds, 1 to 600"),
    (lambda d: d["service"].update(ready={"exec": ["check", "{secret.nope}"]}),
     "kv.json: service.ready.exec[1]: {secret.nope} is not declared in service.secrets"),
    (lambda d: d["service"].update(workspace_paths=["file"]), "kv.json: service.workspace_paths[0]: 'file' is not an option of this entry"),
    (lambda d: d["kubernetes"]["env"].update(KV_PASSWORD="{secret.pass}"),
     "kv.json: kubernetes.env.KV_PASSWORD: {secret.pass} is not declared in service.secrets"),
    (lambda d: d["local"]["cmd"].append("{option.db.name}"), "kv.json: local.cmd[5]: {option.db.name} is not an option"),
    (lambda d: d["local"].update(runner="docker"), "kv.json: local.runner: expected one of command, postgresql"),
    (lambda d: d["local"].pop("cmd"), "kv.json: local.cmd: the command runner needs a cmd"),
    (lambda d: d["local"]["files"].update({"../x": "y"}), "kv.json: local.files.../x: expected a plain file name -> text"),
    (lambda d: d["local"]["files"].update({"kv.conf": "{secret.other}"}),
     "kv.json: local.files.kv.conf: {secret.other} is not declared in service.secrets"),
    (lambda d: d.update(kind="environment"), "kv.json: service: only entries of kind 'service' have this section"),
    (lambda d: d["local"].update(listen="udp"), 'kv.json: local.listen: expected "tcp"'),
    (lambda d: d["local"].update(listen="unix"), 'kv.json: local.listen: "unix" is for web UIs'),
    (lambda d: d["service"].update(client_token="lower"), "kv.json: service.client_token: expected the NAME"),
])
def test_each_mistake_gets_a_precise_error(change, expected):
    errors = errors_of(change)
    assert any(e.startswith(expected) for e in errors), errors


def test_placeholders_are_filled_from_options_secrets_and_credentials():
    values = service_values({"version": "8", "db": "main", "resources": {"cpu": 1.5}}, {"password": "p@ss"},
                            {"AWS_ENDPOINT_URL": "http://s3"}, host="127.0.0.1", port=6400, prefix="")
    assert fill_service("kv://:{secret.password}@{host}:{port}/{option.db}{prefix}", values) == \
        "kv://:p@ss@127.0.0.1:6400/main"
    assert fill_service("{option.resources.cpu} {credential.AWS_ENDPOINT_URL}", values) == "1.5 http://s3"
    assert fill_service("no placeholder {{user.name}} stays", values) == "no placeholder {{user.name}} stays"
    with pytest.raises(KeyError, match="secret.token"):
        fill_service("{secret.token}", values)


def test_the_app_file_must_stay_in_the_workspace():
    entry = load([shipped_catalog()])[0]["app"]
    context = {"user": {"name": "alice"}, "region": {}}
    assert check_options(entry, {"file": "apps/my dashboard.py"}, context)["file"] == "apps/my dashboard.py"
    for bad in ("../x.py", "/abs.py", "a/../../x.py", "./x.py", "a/./x.py", "x.sh", "", "a" * 300 + ".py"):
        with pytest.raises(Exception) as refused:
            check_options(entry, {"file": bad}, context)
        assert getattr(refused.value, "field", None) == "file", bad
