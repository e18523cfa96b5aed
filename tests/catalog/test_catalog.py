"""The catalog format, its validator (one test per kind of error) and option resolution."""

import copy
import json

import pytest

from jupyterhub_datalab.catalog import (
    DatalabCatalog,
    OptionsError,
    check_options,
    load,
    resolve_schema,
    shipped_catalog,
    to_launch,
)

pytestmark = pytest.mark.unit

ENTRY = {
    "id": "tiny",
    "kind": "environment",
    "name": {"en": "Tiny", "fr": "Minuscule"},
    "description": {"en": "A small entry", "fr": "Une petite entrée"},
    "icon": "python",
    "category": "ide",
    "image": {"name": "example.org/team/tiny", "versions": ["1.2", "1.1"]},
    "options": {
        "type": "object",
        "properties": {
            "resources": {
                "type": "object",
                "x-datalab": {"label": {"en": "Resources", "fr": "Ressources"}},
                "properties": {
                    "cpu": {"type": "number", "minimum": 0.5, "maximum": 4, "default": 1,
                            "x-datalab": {"label": {"en": "CPU", "fr": "CPU"}, "widget": "slider",
                                          "sets": "cpu", "admin": "cpu", "default": "{{region.cpu}}"}},
                },
            },
            "email": {"type": "string", "default": "", "maxLength": 100,
                      "x-datalab": {"label": {"en": "Email", "fr": "Courriel"},
                                    "default": "{{user.email}}", "sets": "env:GIT_USER_MAIL"}},
            "pool": {"type": "string", "default": "standard",
                     "x-datalab": {"label": {"en": "Pool", "fr": "Pool"}, "readonly": True}},
            "s3": {"type": "boolean", "default": True,
                   "x-datalab": {"label": {"en": "S3", "fr": "S3"}, "sets": "s3", "widget": "toggle"}},
        },
    },
    "local": {"cmd": ["jupyterhub-singleuser"]},
}

CONTEXT = {"user": {"name": "alice", "email": "alice@demo.gouv.fr", "projects": ["stats"]},
           "region": {"cpu": 2}}


def write(tmp_path, doc, name="tiny.json"):
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def errors_of(tmp_path, mutate):
    doc = copy.deepcopy(ENTRY)
    mutate(doc)
    write(tmp_path, doc)
    entries, errors = load([tmp_path])
    assert not entries, "a broken entry must be left out"
    return [(e.path, e.message) for e in errors]


def test_the_shipped_catalog_is_valid_and_complete():
    entries, errors = load([shipped_catalog()])
    assert errors == []
    expected = {"jupyter-python", "jupyter-r", "jupyter-pyspark", "jupyter-pytorch-gpu",
                "vscode-python", "rstudio"}
    assert expected <= set(entries)
    for entry in (e for e in entries.values() if e.kind == "environment"):
        assert entry.image.startswith("inseefrlab/onyxia-") and entry.versions
        schema = resolve_schema(entry, CONTEXT)
        assert check_options(entry, {}, CONTEXT)["version"] == entry.versions[0]
        assert schema["properties"]["resources"]["properties"]["cpu"]["maximum"] >= 4
    assert entries["jupyter-pytorch-gpu"].kubernetes["gpu"] is True


def test_a_valid_entry_loads(tmp_path):
    write(tmp_path, ENTRY)
    entries, errors = load([tmp_path])
    assert errors == [] and entries["tiny"].image_ref() == "example.org/team/tiny:1.2"


@pytest.mark.parametrize("mutate, path, words", [
    (lambda d: d.pop("icon"), "icon", "required field is missing"),
    (lambda d: d.update(colour="red"), "colour", "unknown keyword; known: $schema, category"),
    (lambda d: d.update(id="Jupyter Python"), "id", "lowercase letters"),
    (lambda d: d.update(kind="server"), "kind", "expected one of environment, service"),
    (lambda d: d["name"].pop("fr"), "name.fr", "missing the fr translation"),
    (lambda d: d["description"].update(de="Ein"), "description.de", "unknown keyword; known: en, fr"),
    (lambda d: d.update(category="misc"), "category", "expected one of"),
    (lambda d: d["image"].update(name="example.org/team/tiny:1.2"), "image.name", "without tag"),
    (lambda d: d["image"].update(versions=[]), "image.versions", "at least one tag"),
    (lambda d: d["image"].update(versions=["latest"]), "image.versions[0]", "pin a version"),
    (lambda d: d["image"].update(versions=["1.2", "1.2"]), "image.versions", "listed twice"),
    (lambda d: d["options"]["properties"]["email"].update(type="text"),
     "options.properties.email.type", "not a valid JSON Schema"),
    (lambda d: d["options"]["properties"]["pool"]["x-datalab"].update(colour=1),
     "options.properties.pool.x-datalab.colour", "unknown keyword; known: admin, default, help"),
    (lambda d: d["options"]["properties"]["pool"]["x-datalab"]["label"].pop("en"),
     "options.pool.x-datalab.label.en", "missing the en translation"),
    (lambda d: d["options"]["properties"]["pool"]["x-datalab"].update(sets="env:lower"),
     "options.pool.x-datalab.sets", "env:NAME"),
    (lambda d: d["options"]["properties"]["pool"]["x-datalab"].update(widget="knob"),
     "options.pool.x-datalab.widget", "expected one of"),
    (lambda d: d["options"]["properties"]["pool"].pop("default"), "options.pool", "needs a default"),
    (lambda d: d["options"]["properties"]["pool"].update(default=3), "options.pool.default",
     "default is not valid"),
    (lambda d: d["options"]["properties"]["resources"]["properties"]["cpu"].pop("maximum"),
     "options.resources.cpu", "slider needs minimum and maximum"),
    (lambda d: d["options"]["properties"].update(version={"type": "string", "default": "x"}),
     "options.version", "reserved"),
    (lambda d: d["local"].update(cmd="jupyter lab"), "local.cmd", "list of strings"),
    (lambda d: d["local"].update(requires=[{"command": "R"}]), "local.requires[0].hint", "expected {"),
    (lambda d: d.update(kubernetes={"env": {"bad-name": "x"}}), "kubernetes.env.bad-name", "capitals"),
])
def test_each_kind_of_error_names_the_field(tmp_path, mutate, path, words):
    found = errors_of(tmp_path, mutate)
    assert any(p == path and words in m for p, m in found), found


def test_malformed_json_says_where(tmp_path):
    write(tmp_path, '{"id": "tiny",\n  "kind": }')
    _, errors = load([tmp_path])
    assert errors[0].path == "line 2 column 11" and "invalid JSON" in errors[0].message
    assert str(errors[0]).startswith(str(tmp_path / "tiny.json"))


def test_duplicate_ids_across_sources(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write(tmp_path / "a", ENTRY)
    write(tmp_path / "b", ENTRY, "other.json")
    entries, errors = load([tmp_path / "a", tmp_path / "b"])
    assert list(entries) == ["tiny"]
    assert errors[0].path == "id" and "duplicate id 'tiny'" in errors[0].message


def test_shared_blocks_are_included_and_a_missing_one_is_an_error(tmp_path):
    (tmp_path / "shared").mkdir()
    write(tmp_path / "shared", ENTRY["options"]["properties"]["resources"], "resources.json")
    doc = copy.deepcopy(ENTRY)
    doc["options"]["properties"]["resources"] = {"$ref": "shared/resources.json"}
    write(tmp_path, doc)
    entries, errors = load([tmp_path])
    assert errors == [] and "cpu" in entries["tiny"].options["properties"]["resources"]["properties"]
    doc["options"]["properties"]["resources"] = {"$ref": "shared/nope.json"}
    write(tmp_path, doc)
    _, errors = load([tmp_path])
    assert errors[0].path == "options.properties.resources" and "cannot include" in errors[0].message



@pytest.fixture
def tiny(tmp_path):
    write(tmp_path, ENTRY)
    return load([tmp_path])[0]["tiny"]


def test_defaults_come_from_the_context_and_admin_overrides(tiny):
    schema = resolve_schema(tiny, CONTEXT, {"cpu": {"maximum": 8}})
    cpu = schema["properties"]["resources"]["properties"]["cpu"]
    assert cpu["default"] == 2 and cpu["maximum"] == 8
    assert schema["properties"]["email"]["default"] == "alice@demo.gouv.fr"
    # no region value: the schema's own default stays; an admin bound below it clamps it
    bare = {"user": {"name": "bob"}, "region": {}}
    assert resolve_schema(tiny, bare)["properties"]["resources"]["properties"]["cpu"]["default"] == 1
    clamped = resolve_schema(tiny, CONTEXT, {"cpu": {"maximum": 1.5}})
    assert clamped["properties"]["resources"]["properties"]["cpu"]["default"] == 1.5
    assert resolve_schema(tiny, bare)["properties"]["email"]["default"] == ""


def test_options_are_completed_and_drive_the_launch(tiny):
    options = check_options(tiny, {"resources": {"cpu": 3}, "s3": False}, CONTEXT)
    assert options == {"version": "1.2", "resources": {"cpu": 3}, "email": "alice@demo.gouv.fr",
                       "pool": "standard", "s3": False}
    launch = to_launch(tiny, options)
    assert (launch.cpu, launch.s3, launch.image) == (3.0, False, "example.org/team/tiny:1.2")
    assert launch.env == {"GIT_USER_MAIL": "alice@demo.gouv.fr"}


@pytest.mark.parametrize("options, field, words", [
    ({"resources": {"cpu": 16}}, "resources.cpu", "above the maximum 4"),
    ({"resources": {"cpu": 0}}, "resources.cpu", "below the minimum 0.5"),
    ({"resources": {"cpu": "lots"}}, "resources.cpu", "expected a number"),
    ({"version": "9.9"}, "version", "is not one of: 1.2, 1.1"),
    ({"shell": "rm -rf /"}, "options", "unknown option shell"),
    ({"resources": {"gpu": 4}}, "resources", "unknown option gpu"),
    ({"pool": "premium"}, "pool", "cannot be changed"),
    ({"email": "x" * 5000}, "email", "at most 100 characters"),
    ([1, 2], "options", "expected an object"),
])
def test_bad_options_are_refused_naming_the_field(tiny, options, field, words):
    with pytest.raises(OptionsError) as refused:
        check_options(tiny, options, CONTEXT)
    assert refused.value.field == field and words in refused.value.en, refused.value
    assert refused.value.fr and refused.value.fr != ""


def test_admin_bounds_apply_to_what_users_send(tmp_path):
    write(tmp_path, ENTRY)
    catalog = DatalabCatalog(sources=[str(tmp_path)], option_overrides={"cpu": {"maximum": 2}})
    assert catalog.launch("tiny", {"resources": {"cpu": 2}}, username="alice").cpu == 2
    with pytest.raises(OptionsError) as refused:
        catalog.launch("tiny", {"resources": {"cpu": 3}}, username="alice")
    assert refused.value.field == "resources.cpu"


def test_restricted_entries_by_group_or_claim(tmp_path):
    write(tmp_path, ENTRY)
    catalog = DatalabCatalog(sources=[str(tmp_path)], access={
        "tiny": {"groups": ["gpu"], "claims": {"email": "*@insee.fr"}}})
    entry = catalog.get("tiny")
    assert catalog.allowed(entry, ["gpu"])
    assert catalog.allowed(entry, [], {"email": "agent@insee.fr"})
    assert not catalog.allowed(entry, ["stats"], {"email": "agent@insee.fr.evil.com"})
    assert not catalog.allowed(entry, [], {"email": ["x@gouv.fr"]})
    with pytest.raises(OptionsError) as refused:
        catalog.launch("tiny", {}, username="carol", groups=["stats"])
    assert refused.value.field == "entry"
    assert catalog.launch("tiny", {}, username="dora", groups=["gpu"]).entry.id == "tiny"


def test_a_bad_access_rule_is_refused_at_config_time():
    from traitlets import TraitError

    with pytest.raises(TraitError, match="expected"):
        DatalabCatalog(access={"tiny": {"group": ["typo"]}})


def test_unavailable_locally_says_why_and_how_to_fix(tmp_path):
    doc = copy.deepcopy(ENTRY)
    doc["local"]["requires"] = [{"command": "surely-not-installed-xyz",
                                 "hint": {"en": "install it", "fr": "installez-le"}}]
    write(tmp_path, doc)
    entry = load([tmp_path])[0]["tiny"]
    assert entry.local_unavailable() == {"en": "install it", "fr": "installez-le"}
    doc.pop("local")
    write(tmp_path, doc)
    assert "Kubernetes" in load([tmp_path])[0]["tiny"].local_unavailable()["en"]


def test_catalog_files_are_reread_when_they_change(tmp_path):
    write(tmp_path, ENTRY)
    catalog = DatalabCatalog(sources=[str(tmp_path)])
    assert [e.id for e in catalog.entries()] == ["tiny"]
    other = copy.deepcopy(ENTRY)
    other["id"] = "tiny-two"
    write(tmp_path, other, "two.json")
    assert sorted(e.id for e in catalog.entries()) == ["tiny", "tiny-two"]


@pytest.mark.parametrize("overrides, words", [
    ({"cpu": {"maxmum": 8}}, "unknown keyword 'maxmum'; did you mean 'maximum'?"),
    ({"memory": {"maximum": 32, "frobnicate": 1}}, "unknown keyword 'frobnicate'"),
    ({"gpu": 1}, "expected JSON Schema keywords"),
])
def test_a_typo_in_the_admins_option_overrides_is_refused_at_start(overrides, words):
    """Seen: ``option_overrides`` typos were ignored, so a misspelt bound silently did nothing."""
    from traitlets import TraitError

    from jupyterhub_datalab.catalog import DatalabCatalog

    with pytest.raises(TraitError) as refused:
        DatalabCatalog(option_overrides=overrides)
    assert words in str(refused.value) and "option_overrides" in str(refused.value)
    assert DatalabCatalog(option_overrides={"cpu": {"maximum": 8, "default": 2}}).option_overrides
