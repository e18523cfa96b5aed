"""`datalab catalog validate` as contributors run it: a real process, its exit code and
its one-line errors naming file and field (catalog entries and trainings alike), in the
terminal's language (those tests call ``cli.main`` in-process: unit tests start no process)."""

import copy
import os
import subprocess
import sys

import pytest

from jupyterhub_datalab import cli

from ..test_trainings import make_catalog, training_doc
from .test_catalog import ENTRY, write

CLI = [sys.executable, "-m", "jupyterhub_datalab.cli", "catalog", "validate"]
# these read the English lines: a contributor's French terminal must not change them
ENGLISH = dict({k: v for k, v in os.environ.items()
                if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}, LANG="C.UTF-8")


def test_the_validator_cli_exits_non_zero_with_file_and_field(tmp_path):
    doc = copy.deepcopy(ENTRY)
    doc["name"].pop("fr")
    write(tmp_path, doc)
    bad = subprocess.run([*CLI, str(tmp_path)], capture_output=True, text=True, check=False, env=ENGLISH)
    assert bad.returncode == 1
    assert f"{tmp_path / 'tiny.json'}: name.fr: missing the fr translation" in bad.stderr
    good = subprocess.run(CLI, capture_output=True, text=True, check=False, env=ENGLISH)
    assert good.returncode == 0 and "jupyter-python" in good.stdout
    empty = subprocess.run([*CLI, str(tmp_path / "nowhere")], capture_output=True, text=True, check=False, env=ENGLISH)
    assert empty.returncode == 1 and "no such file or directory" in empty.stderr


def test_the_validator_cli_names_the_training_file_and_field(tmp_path):
    path = make_catalog(tmp_path, training_doc(material={"path": "tiny"}, open={"en": "start.en.ipynb"}))
    r = subprocess.run([*CLI, str(path)], check=False, capture_output=True, text=True, timeout=60, env=ENGLISH)
    assert r.returncode == 1
    assert f"{path}: training.open.fr: missing the fr notebook" in r.stdout + r.stderr


def test_the_validator_cli_refuses_an_unknown_keyword_in_a_shared_block(tmp_path):
    shared = shared_block_with_a_typo(tmp_path)
    r = subprocess.run([*CLI, str(tmp_path)], capture_output=True, text=True, check=False, env=ENGLISH)
    assert r.returncode == 1
    assert f"{shared}: maxLenght: unknown keyword; did you mean maxLength?\n" in r.stderr


def shared_block_with_a_typo(tmp_path):
    """An entry including ``shared/email.json``, where ``maxLength`` is misspelt."""
    (tmp_path / "shared").mkdir()
    block = copy.deepcopy(ENTRY["options"]["properties"]["email"])
    block["maxLenght"] = block.pop("maxLength")
    write(tmp_path / "shared", block, "email.json")
    doc = copy.deepcopy(ENTRY)
    doc["options"]["properties"]["email"] = {"$ref": "shared/email.json"}
    write(tmp_path, doc)
    return (tmp_path / "shared" / "email.json").resolve()


@pytest.mark.unit
@pytest.mark.parametrize("env, line, summary", [
    ({"LANG": "fr_FR.UTF-8"}, "maxLenght: mot-clé inconnu ; vouliez-vous dire maxLength ?",
     "datalab : 1 erreur(s) dans le catalogue ; 0 entrées sont valides"),
    ({"LANGUAGE": "fr:en", "LANG": "C.UTF-8"}, "maxLenght: mot-clé inconnu ; vouliez-vous dire maxLength ?",
     "datalab : 1 erreur(s)"),
    ({}, "maxLenght: unknown keyword; did you mean maxLength?",
     "datalab: 1 error(s) in the catalog; 0 entries are valid"),
])
def test_the_validator_speaks_the_terminals_language(tmp_path, monkeypatch, capsys, env, line, summary):
    """In-process (a unit test starts no process): a French terminal reads French, with
    the file and field as they are; any other, English."""
    shared = shared_block_with_a_typo(tmp_path)
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["catalog", "validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{shared}: {line}\n" in err, err
    assert summary in err, err


@pytest.mark.unit
def test_a_missing_path_is_said_in_french_too(tmp_path, monkeypatch, capsys):
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert cli.main(["catalog", "validate", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'nowhere'}: (fichier): fichier ou dossier introuvable\n" in err, err
