"""The catalog's published JSON Schema (``catalog/catalog.schema.json``) and the validator's
refusal of unknown keywords: a typo in an entry or in a shared block is named with the
file it is written in, its path there and the nearest known key, instead of being
ignored as JSON Schema ignores keywords it does not know (``maxLenght`` dropped a bound)."""

import copy
import json
import re
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from jsonschema_specifications import REGISTRY

from jupyterhub_datalab import catalog
from jupyterhub_datalab.catalog_schema import known_keys, schema, schema_path

from .test_catalog import ENTRY, write
from .test_catalog_services import SERVICE

pytestmark = pytest.mark.unit

SHIPPED = Path(catalog.shipped_catalog())


def shipped_files():
    return catalog.entry_files(SHIPPED)


def test_the_published_schema_is_valid_and_every_shipped_entry_follows_it():
    Draft202012Validator.check_schema(schema())
    validator = Draft202012Validator(schema())
    assert len(shipped_files()) >= 13 and schema_path() not in shipped_files()
    for path in shipped_files():
        raw = json.loads(path.read_text())
        # as an editor sees it: the "$schema" leads to the published file, includes unresolved
        assert (path.parent / raw["$schema"]).resolve() == schema_path().resolve(), path
        assert not list(validator.iter_errors(raw)), (path, [e.message for e in validator.iter_errors(raw)])
        # as the validator sees it: shared blocks included
        errors = []
        resolved = catalog._include(raw, path.parent, path, "", errors)
        assert errors == [] and not list(validator.iter_errors(resolved)), path


@pytest.fixture
def shipped_copy(tmp_path):
    shutil.copytree(SHIPPED, tmp_path / "catalog")
    return tmp_path / "catalog"


def edit_json(path, change):
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, indent=2))


def test_an_unknown_keyword_in_a_shared_block_is_refused_naming_the_block_and_field(shipped_copy):
    shared = shipped_copy / "shared"
    edit_json(shared / "gpu.json", lambda d: d.update(frobnicate_x=1))
    # git.json: the repository's maxLength misspelt, which dropped the 500-character bound
    edit_json(shared / "git.json",
              lambda d: d["properties"]["repository"].update(maxLenght=d["properties"]["repository"].pop("maxLength")))
    entries, errors = catalog.load([shipped_copy])
    lines = [str(e) for e in errors]
    gpu = f"{(shared / 'gpu.json').resolve()}: frobnicate_x: unknown keyword; known: $comment, $ref"
    git = (f"{(shared / 'git.json').resolve()}: properties.repository.maxLenght: "
           "unknown keyword; did you mean maxLength?")
    assert any(line.startswith(gpu) for line in lines), lines
    assert lines.count(git) == 1, lines  # said once, though nine entries include git.json
    # the entries including them are refused, as for any catalog error; the others stay
    assert "jupyter-pytorch-gpu" not in entries and "jupyter-python" not in entries
    assert {"postgresql", "redis"} <= set(entries)


def test_a_typo_in_an_option_schema_is_refused_naming_the_entry_and_field(tmp_path):
    doc = copy.deepcopy(ENTRY)
    email = doc["options"]["properties"]["email"]
    email["maxLenght"] = email.pop("maxLength")
    doc["options"]["properties"]["resources"]["minimun"] = 1
    write(tmp_path, doc)
    entries, errors = catalog.load([tmp_path])
    assert not entries
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'tiny.json'}: options.properties.email.maxLenght: unknown keyword; did you mean maxLength?",
        f"{tmp_path / 'tiny.json'}: options.properties.resources.minimun: unknown keyword; did you mean minimum?",
    ]


def test_an_x_datalab_typo_is_refused_in_an_entry_and_in_a_shared_block(shipped_copy):
    edit_json(shipped_copy / "shared" / "disk.json",
              lambda d: d["x-datalab"].update(hepl=d["x-datalab"].pop("help")))
    x = "x-datalab"
    edit_json(shipped_copy / "services" / "postgresql.json",
              lambda d: d["options"]["properties"]["user"][x].update(lable=d["options"]["properties"]["user"][x].pop("label")))
    # a key holding an include is the entry's own: reported in the entry's file
    edit_json(shipped_copy / "services" / "redis.json",
              lambda d: d.update(imgae={"$ref": "../shared/jupyter-python-image.json"}))
    entries, errors = catalog.load([shipped_copy])
    lines = [str(e) for e in errors]
    assert (f"{(shipped_copy / 'shared' / 'disk.json').resolve()}: x-datalab.hepl: "
            "unknown keyword; did you mean help?") in lines, lines
    assert (f"{shipped_copy / 'services' / 'postgresql.json'}: options.properties.user.x-datalab.lable: "
            "unknown keyword; did you mean label?") in lines, lines
    assert f"{shipped_copy / 'services' / 'redis.json'}: imgae: unknown keyword; did you mean image?" in lines
    assert {"postgresql", "redis", "jupyter-python"}.isdisjoint(entries) and "mlflow" in entries


# every part of an entry the schema closes, with a typo of one of its keys
TYPOS = [
    ("entry", lambda d: d.update(categroy="database"), "categroy", "category"),
    ("image", lambda d: d["image"].update(version=["1"]), "image.version", "versions"),
    ("option", lambda d: d["options"].update(propertie={}), "options.propertie", "properties"),
    ("option", lambda d: d["options"]["properties"]["db"].update(patern="^x$"),
     "options.properties.db.patern", "pattern"),
    ("x-datalab", lambda d: d["options"]["properties"]["db"]["x-datalab"].update(widgte="text"),
     "options.properties.db.x-datalab.widgte", "widget"),
    ("text", lambda d: d["name"].update(fra="x"), "name.fra", "fr"),
    ("kubernetes", lambda d: d["kubernetes"].update(prot=1), "kubernetes.prot", "port"),
    ("local", lambda d: d["local"].update(requieres=[]), "local.requieres", "requires"),
    ("service", lambda d: d["service"].update(secret=[]), "service.secret", "secrets"),
    ("service.ready", lambda d: d["service"]["ready"].update(timout=5), "service.ready.timout", "timeout"),
    ("service.ui", lambda d: d["service"].update(ui={"paht": "/"}), "service.ui.paht", "path"),
]


@pytest.mark.parametrize("part, change, where, near", TYPOS)
def test_a_typo_anywhere_is_refused_with_the_nearest_key_the_schema_declares(part, change, where, near):
    doc = copy.deepcopy(SERVICE)
    assert catalog.check_document(doc, "kv.json") == []
    change(doc)
    errors = [str(e) for e in catalog.check_document(doc, "kv.json")]
    assert f"kv.json: {where}: unknown keyword; did you mean {near}?" in errors, errors
    defs = schema()["$defs"]
    keys = {"service.ready": defs["service"]["properties"]["ready"],
            "service.ui": defs["service"]["properties"]["ui"]}.get(part)
    assert near in (keys["properties"] if keys else known_keys(part))


def test_a_training_typo_names_its_section(tmp_path):
    from ..test_trainings import errors_of, make_catalog, training_doc

    doc = training_doc(material={"path": "tiny", "pth": "x"})
    assert "training.material.pth: unknown keyword; did you mean path?" in errors_of(make_catalog(tmp_path, doc))


def test_option_keywords_are_json_schema_2020_12_keywords_the_validator_enforces():
    vocabulary = set()
    for uri in REGISTRY:
        if uri.startswith("https://json-schema.org/draft/2020-12/"):
            vocabulary |= set(REGISTRY[uri].contents.get("properties", {}))
    assert known_keys("option") - {"x-datalab"} <= vocabulary
    # format only annotates in draft 2020-12 and applicators would bypass the form: left out
    assert not known_keys("option") & {"format", "oneOf", "anyOf", "allOf", "items", "additionalProperties"}


def test_the_schema_enums_are_the_validators():
    entry, defs = schema()["properties"], schema()["$defs"]
    assert tuple(entry["kind"]["enum"]) == catalog.KINDS
    assert list(entry["category"]["enum"]) == list(catalog.CATEGORIES)
    assert tuple(defs["x-datalab"]["properties"]["widget"]["enum"]) == catalog.WIDGETS
    assert tuple(defs["x-datalab"]["properties"]["sets"]["anyOf"][0]["enum"]) == catalog.SETS
    assert tuple(defs["local"]["properties"]["runner"]["enum"]) == catalog.LOCAL_RUNNERS
    assert catalog.REQUIRED == tuple(schema()["required"])


def _table_keys(text, heading):
    """The backquoted first cells of the first table after ``heading`` in the README."""
    section = text.split(heading, 1)[1]
    table = re.search(r"\n\|.*?\n(?!\|)", section, re.DOTALL).group(0)
    keys = set()
    for row in table.strip().splitlines()[2:]:
        keys |= set(re.findall(r"`([^`]+)`", row.split("|")[1]))
    return keys


def test_the_catalog_readme_documents_exactly_the_schemas_keys():
    text = (SHIPPED / "README.md").read_text()
    assert _table_keys(text, "## An entry") == known_keys("entry")
    assert _table_keys(text, "## Options: JSON Schema plus `x-datalab`") == known_keys("x-datalab")
    assert _table_keys(text, "## Services") == known_keys("service")
    assert _table_keys(text, "## Trainings") == known_keys("training")
    keywords = re.search(r"### Option keywords\n\n.*?\n\n(.*?)\n\n", text, re.DOTALL).group(1)
    assert set(re.findall(r"`([^`]+)`", keywords)) == known_keys("option") - {"x-datalab"}
    for section in ("kubernetes", "local"):
        row = re.search(rf"\n\| `{section}` \|.*", text).group(0)
        assert known_keys(section) <= set(re.findall(r"`([^`]+)`", row.split("|", 3)[3])), section
