"""Trainings as catalog entries: the ``training`` section, its validator (one test per kind of
error), the shipped trainings and their notebooks, and how each spawner puts the material
into the workspace (the local copy for real, the Kubernetes init container's script for
real with ``sh``, its pod spec against the strict schemas).

The end-to-end run of every shipped notebook in a user's server is in
``tests/trainings/test_training_notebooks.py``.
"""

import base64
import json
import os
import types
from pathlib import Path

import nbformat
import pytest

from jupyterhub_datalab.i18n import pick_language

from jupyterhub_datalab import kubernetes as k8s
from jupyterhub_datalab import trainings
from jupyterhub_datalab.catalog import DatalabCatalog, load, read_entry

from .test_kubernetes_manifests import kubeconfig, make_spawner, valid  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.unit

SHIPPED = ["first-steps", "parquet-duckdb", "mlflow-tracking"]


def training_doc(**training):
    return {
        "id": "tiny-training",
        "kind": "environment",
        "name": {"en": "Tiny training", "fr": "Petite formation"},
        "description": {"en": "Learn", "fr": "Apprendre"},
        "icon": "python",
        "category": "training",
        "image": {"name": "example.org/team/tiny", "versions": ["1.0"]},
        "options": {"type": "object", "properties": {}},
        "training": training if training else {
            "material": {"path": "tiny"}, "open": {"en": "start.en.ipynb", "fr": "debut.fr.ipynb"}},
        "local": {"cmd": ["jupyterhub-singleuser"], "default_url": "/lab"},
    }


def make_catalog(tmp_path, doc, files=("start.en.ipynb", "debut.fr.ipynb")):
    """An entry file in ``tmp_path/trainings/`` with its material folder ``tiny/``."""
    folder = tmp_path / "trainings"
    (folder / "tiny" / "data").mkdir(parents=True)
    for name in files:
        (folder / "tiny" / name).write_text(json.dumps(nbformat.v4.new_notebook()))
    (folder / "tiny" / "data" / "cities.csv").write_text("city\nParis\n")
    path = folder / "tiny-training.json"
    path.write_text(json.dumps(doc))
    return path


def errors_of(path):
    _, errors = load([str(path)])
    return [f"{e.path}: {e.message}" for e in errors]


# -- the format -------------------------------------------------------------------------


def test_a_valid_training_loads_with_its_section(tmp_path):
    path = make_catalog(tmp_path, training_doc())
    entry, errors = read_entry(path)
    assert errors == [] and entry.category == "training"
    assert entry.training == {"material": {"path": "tiny"},
                              "open": {"en": "start.en.ipynb", "fr": "debut.fr.ipynb"}}
    assert trainings.material_folder(entry) == (tmp_path / "trainings/tiny").resolve()


def test_git_material_with_a_ref_is_valid(tmp_path):
    doc = training_doc(material={"git": "https://git.example.gouv.fr/team/course.git", "ref": "v1.2"},
                       open={"en": "notebooks/intro.en.ipynb", "fr": "notebooks/intro.fr.ipynb"})
    assert errors_of(make_catalog(tmp_path, doc)) == []


@pytest.mark.parametrize("training, expected", [
    ({"material": {"path": "tiny"}, "open": {"en": "start.en.ipynb", "fr": "debut.fr.ipynb"}, "opens": 1},
     "training.opens: unknown keyword; did you mean open?"),
    ({"open": {"en": "start.en.ipynb", "fr": "debut.fr.ipynb"}},
     ('training.material: required: {"path": "<folder beside the entry>"} or {"git": "https://...", '
      '"ref": "<branch or tag>"}')),
    ({"material": {"path": "tiny", "git": "https://x.org/a.git"}, "open": {"en": "a.ipynb", "fr": "b.ipynb"}},
     'training.material: expected one source: {"path": ...} or {"git": "https://...", "ref": ...}'),
    ({"material": {"path": "tiny", "ref": "main"}, "open": {"en": "start.en.ipynb", "fr": "debut.fr.ipynb"}},
     "training.material.ref: unknown key; known: path"),
    ({"material": {"path": "tiny"}, "open": {"en": "start.en.ipynb"}},
     "training.open.fr: missing the fr notebook"),
    ({"material": {"path": "tiny"}, "open": {"en": "start.en.ipynb", "fr": "debut.fr.ipynb", "de": "x.ipynb"}},
     "training.open.de: unknown keyword; known: en, fr"),
    ({"material": {"path": "tiny"}, "open": {"en": "start.en.ipynb", "fr": "absent.fr.ipynb"}},
     "training.open.fr: 'absent.fr.ipynb' is not in the material"),
    ({"material": {"path": "tiny"}, "open": {"en": "../start.en.ipynb", "fr": "debut.fr.ipynb"}},
     "training.open.en: expected a notebook (.ipynb) path inside the material"),
    ({"material": {"path": "tiny"}, "open": {"en": "start.en.py", "fr": "debut.fr.ipynb"}},
     "training.open.en: expected a notebook (.ipynb) path inside the material"),
    ({"material": {"path": "tiny"}, "open": "start.en.ipynb"},
     "training.open: expected the notebook opened first per language"),
    ({"material": {"path": "../../etc"}, "open": {"en": "a.ipynb", "fr": "b.ipynb"}},
     "training.material.path: '../../etc' leaves the entry's folder"),
    ({"material": {"path": "."}, "open": {"en": "a.ipynb", "fr": "b.ipynb"}},
     "training.material.path: '.' leaves the entry's folder"),
    ({"material": {"path": "/srv/material"}, "open": {"en": "a.ipynb", "fr": "b.ipynb"}},
     "training.material.path: expected a folder relative to the entry file"),
    ({"material": {"path": "nowhere"}, "open": {"en": "a.ipynb", "fr": "b.ipynb"}},
     "training.material.path: no such folder"),
    ({"material": {"git": "http://git.example.org/a.git"}, "open": {"en": "a.ipynb", "fr": "b.ipynb"}},
     "training.material.git: expected an https:// URL of a git repository"),
    ({"material": {"git": "https://git.example.org/a.git", "ref": "--upload-pack=evil"},
      "open": {"en": "a.ipynb", "fr": "b.ipynb"}},
     "training.material.ref: expected a branch or tag name"),
])
def test_each_mistake_is_one_precise_error(tmp_path, training, expected):
    errors = errors_of(make_catalog(tmp_path, training_doc(**training)))
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_a_symbolic_link_out_of_the_catalog_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    path = make_catalog(tmp_path, training_doc(material={"path": "link"},
                                               open={"en": "a.ipynb", "fr": "b.ipynb"}))
    (path.parent / "link").symlink_to(outside)
    assert errors_of(path) == [("training.material.path: 'link' leaves the entry's folder "
                                f"({path.parent}): material lives in a folder beside the entry")]


def test_a_training_category_needs_the_section_and_only_environments_have_it(tmp_path):
    doc = training_doc()
    del doc["training"]
    assert errors_of(make_catalog(tmp_path, doc))[0].startswith(
        "training: required for an environment of category 'training'")
    doc = training_doc()
    doc["category"] = "ide"  # a training section on another category is fine
    assert errors_of(make_catalog(tmp_path / "b", doc)) == []


def test_json_files_in_the_material_are_refused(tmp_path):
    path = make_catalog(tmp_path, training_doc())
    (path.parent / "tiny" / "data" / "config.json").write_text("{}")
    errors = errors_of(path)
    assert any(e.startswith("training.material.path: holds .json files (data/config.json)")
               for e in errors), errors



# -- the shipped trainings ----------------------------------------------------------------


@pytest.mark.parametrize("entry_id", SHIPPED)
def test_shipped_trainings_have_clean_notebooks_in_both_languages(entry_id):
    entry = DatalabCatalog().get(entry_id)
    assert entry is not None and entry.category == "training" and entry.kind == "environment"
    python = DatalabCatalog().get("jupyter-python")
    assert (entry.image, entry.versions) == (python.image, python.versions)
    assert entry.local["cmd"] == python.local["cmd"] and entry.options == python.options
    folder = trainings.material_folder(entry)
    assert folder == Path(entry.source).parent / entry_id
    for lang in ("en", "fr"):
        nb = nbformat.read(folder / entry.training["open"][lang], as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["datalab"]["language"] == lang
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
        assert nb.cells[0].source.splitlines()[0] == f"# {entry.name[lang]}"
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(c.outputs == [] and c.execution_count is None for c in code), \
            f"{entry_id} [{lang}]: save the notebook without outputs"


def test_the_shipped_catalog_is_valid():
    entries, errors = load([str(Path(__file__).parent.parent / "catalog")])
    assert errors == [] and set(SHIPPED) <= set(entries)


# -- putting the material into the workspace ------------------------------------------------


@pytest.mark.parametrize("candidates, lang", [
    (("fr",), "fr"), (("fr-CA",), "fr"), (("de", "fr_FR"), "fr"),
    (("de-DE,fr;q=0.8,en;q=0.9",), "en"), (("fr-FR,fr;q=0.9,en;q=0.8",), "fr"),
    ((None, "", "es"), "en"), ((), "en"), (("en-GB", "fr"), "en"), (("x;q=abc,fr",), "fr"),
])
def test_the_language_is_the_first_known_one_asked(candidates, lang):
    assert pick_language(*candidates) == lang


def test_only_missing_files_are_copied(tmp_path):
    source, dest = tmp_path / "source", tmp_path / "dest"
    (source / "data").mkdir(parents=True)
    (source / ".git").mkdir()
    (source / ".git" / "HEAD").write_text("ref")
    (source / "a.ipynb").write_text("shipped a")
    (source / "data" / "b.csv").write_text("shipped b")
    (source / "secret-link").symlink_to("/etc/hostname")
    dest.mkdir()
    (dest / "a.ipynb").write_text("alice's edits")
    assert trainings.copy_missing(source, dest) == ["data/b.csv"]
    assert (dest / "a.ipynb").read_text() == "alice's edits"
    assert not (dest / ".git").exists() and not (dest / "secret-link").exists()
    (dest / "data" / "b.csv").unlink()
    assert trainings.copy_missing(source, dest) == ["data/b.csv"]



def local_spawner(tmp_path, name="alice"):
    from jupyterhub_datalab.spawner import DatalabLocalSpawner

    async def no_auth_state():
        return {"oauth_user": {"locale": "fr-FR"}}

    user = types.SimpleNamespace(name=name, id=1, url=f"/user/{name}/", get_auth_state=no_auth_state,
                                 groups=[])
    orm_spawner = types.SimpleNamespace(name="", user_options=None, server=None, state=None)
    spawner = DatalabLocalSpawner(_mock=True, user=user, orm_spawner=orm_spawner)
    spawner.home_dir = str(tmp_path / "home")
    return spawner


@pytest.mark.asyncio
async def test_the_local_spawner_copies_the_material_and_opens_the_users_notebook(tmp_path):
    spawner = local_spawner(tmp_path)
    await spawner._check_user_options(spawner, {"entry": "first-steps"})  # fr from the login's locale
    entry = spawner.catalog.get("first-steps")
    home = Path(spawner.home_dir) / "trainings/first-steps"
    assert sorted(p.name for p in home.iterdir()) == sorted(
        p.name for p in trainings.material_folder(entry).iterdir())
    assert spawner.default_url == "/lab/tree/trainings/first-steps/premiers-pas.fr.ipynb"
    messages = [e["message"] for e in spawner._progress_events]
    assert "Copie du support de formation" in messages  # the person's language: the login said fr
    # the request's language wins; an edited notebook is kept at the next start
    (home / "first-steps.en.ipynb").write_text("alice's edits")
    await spawner._check_user_options(spawner, {"entry": "first-steps", "lang": "en"})
    assert spawner.default_url == "/lab/tree/trainings/first-steps/first-steps.en.ipynb"
    assert (home / "first-steps.en.ipynb").read_text() == "alice's edits"
    # another entry: back to its own default URL, nothing copied
    await spawner._check_user_options(spawner, {"entry": "jupyter-python"})
    assert spawner.default_url == "/lab"


@pytest.mark.asyncio
async def test_a_material_failure_stops_the_start_with_a_message(tmp_path, monkeypatch):
    from tornado import web

    spawner = local_spawner(tmp_path)

    def broken(entry, dest):
        raise trainings.MaterialError("cannot clone x", "impossible de cloner x")

    monkeypatch.setattr(trainings, "put_material", broken)
    with pytest.raises(web.HTTPError) as refused:
        await spawner._check_user_options(spawner, {"entry": "first-steps"})
    assert refused.value.jupyterhub_message == "impossible de cloner x"  # the login said fr


# -- Kubernetes: an init container -------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("disk", [0, 10])
async def test_the_kubernetes_pod_gets_the_material_from_an_init_container(disk, monkeypatch):
    # braces in the script reach the pod as written (KubeSpawner fills {...} templates)
    monkeypatch.setattr(trainings, "INIT_SCRIPT", trainings.INIT_SCRIPT + 'echo "${dest}" {user}\n')
    spawner = make_spawner(server="first-steps")
    await spawner._check_user_options(spawner, {"entry": "first-steps", "lang": "fr",
                                                "options": {"disk": disk}})
    pod = valid(spawner.api.api_client.sanitize_for_serialization(await spawner.get_pod_manifest()))
    (init,) = pod["spec"]["initContainers"]
    main = pod["spec"]["containers"][0]
    assert init["name"] == "training-material" and init["image"] == main["image"]
    assert init["command"] == ["sh", "-c", trainings.INIT_SCRIPT]
    assert init["securityContext"]["runAsUser"] == 1000
    env = {e["name"]: e["value"] for e in init["env"]}
    dest = "/home/onyxia/work/trainings/first-steps"
    assert env["DATALAB_TRAINING_DEST"] == dest
    assert "DATALAB_TRAINING_TAR" in env and "DATALAB_TRAINING_GIT" not in env
    main_env = {e["name"]: e.get("value") for e in main["env"]}
    assert main_env["JUPYTERHUB_DEFAULT_URL"] == "/lab/tree/trainings/first-steps/premiers-pas.fr.ipynb"
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    if disk:  # the init container writes on the user's disk
        assert init["volumeMounts"] == [{"name": "datalab-home", "mountPath": "/home/onyxia/work"}]
        assert "datalab-training" not in volumes
    else:  # no disk: an emptyDir on the training folder, shared with the server
        assert volumes["datalab-training"] == {"name": "datalab-training", "emptyDir": {}}
        assert init["volumeMounts"] == [{"name": "datalab-training", "mountPath": dest}]
        assert {"name": "datalab-training", "mountPath": dest} in main["volumeMounts"]
    # a later non-training start has no init container left
    await spawner._check_user_options(spawner, {"entry": "jupyter-python"})
    pod = spawner.api.api_client.sanitize_for_serialization(await spawner.get_pod_manifest())
    assert not pod["spec"].get("initContainers")


def test_git_material_is_cloned_by_the_init_container():
    entry = types.SimpleNamespace(training={"material": {"git": "https://git.example.org/c.git", "ref": "v1"}})
    container = trainings.init_container(entry, "img:1", "/work/trainings/c", uid=1000, gid=100)
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env == {"DATALAB_TRAINING_DEST": "/work/trainings/c",
                   "DATALAB_TRAINING_GIT": "https://git.example.org/c.git", "DATALAB_TRAINING_REF": "v1"}
    assert container["securityContext"] == {**k8s.restricted_security_context(), "runAsUser": 1000,
                                            "runAsGroup": 100}



def test_material_too_large_for_a_pod_spec_is_refused(tmp_path):
    path = make_catalog(tmp_path, training_doc())
    (path.parent / "tiny" / "big.bin").write_bytes(base64.b64encode(os.urandom(600 * 1024)))
    entry, _ = read_entry(path)
    with pytest.raises(trainings.MaterialError, match="use git material"):
        trainings.tarball(entry)
