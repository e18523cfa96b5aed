"""`datalab catalog validate` as contributors run it: a real process, its exit code and
its one-line errors naming file and field (catalog entries and trainings alike)."""

import copy
import subprocess
import sys

from .test_catalog import ENTRY, write
from ..test_trainings import make_catalog, training_doc

CLI = [sys.executable, "-m", "jupyterhub_datalab.cli", "catalog", "validate"]


def test_the_validator_cli_exits_non_zero_with_file_and_field(tmp_path):
    doc = copy.deepcopy(ENTRY)
    doc["name"].pop("fr")
    write(tmp_path, doc)
    bad = subprocess.run([*CLI, str(tmp_path)], capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert f"{tmp_path / 'tiny.json'}: name.fr: missing the fr translation" in bad.stderr
    good = subprocess.run(CLI, capture_output=True, text=True, check=False)
    assert good.returncode == 0 and "jupyter-python" in good.stdout
    empty = subprocess.run([*CLI, str(tmp_path / "nowhere")], capture_output=True, text=True, check=False)
    assert empty.returncode == 1 and "no such file or directory" in empty.stderr


def test_the_validator_cli_names_the_training_file_and_field(tmp_path):
    path = make_catalog(tmp_path, training_doc(material={"path": "tiny"}, open={"en": "start.en.ipynb"}))
    r = subprocess.run([*CLI, str(path)], check=False, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert f"{path}: training.open.fr: missing the fr notebook" in r.stdout + r.stderr


def test_the_validator_cli_refuses_an_unknown_keyword_in_a_shared_block(tmp_path):
    (tmp_path / "shared").mkdir()
    block = copy.deepcopy(ENTRY["options"]["properties"]["email"])
    block["maxLenght"] = block.pop("maxLength")
    write(tmp_path / "shared", block, "email.json")
    doc = copy.deepcopy(ENTRY)
    doc["options"]["properties"]["email"] = {"$ref": "shared/email.json"}
    write(tmp_path, doc)
    r = subprocess.run([*CLI, str(tmp_path)], capture_output=True, text=True, check=False)
    assert r.returncode == 1
    shared = (tmp_path / "shared" / "email.json").resolve()
    assert f"{shared}: maxLenght: unknown keyword; did you mean maxLength?\n" in r.stderr
