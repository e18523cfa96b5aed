"""How the material reaches a workspace, run for real: ``git`` clones a course at its ref,
and the Kubernetes init container's script runs with ``sh`` on the shipped material.
(Both need git and sh, which README's machine has; the pod spec is in tests/test_trainings.py.)"""

import os
import subprocess
import types

import pytest

from jupyterhub_datalab import trainings
from jupyterhub_datalab.catalog import DatalabCatalog


def _git_repo(path):
    path.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x"}
    (path / "intro.en.ipynb").write_text("v1")
    for command in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "v1"],
                    ["tag", "v1"]):
        subprocess.run(["git", *command], cwd=path, check=True, env=env)
    (path / "intro.en.ipynb").write_text("v2")
    subprocess.run(["git", "commit", "-q", "-am", "v2"], cwd=path, check=True, env=env)
    return path


def test_git_material_is_cloned_at_its_ref(tmp_path):
    repo = _git_repo(tmp_path / "repo")
    entry = types.SimpleNamespace(training={"material": {"git": repo.as_uri(), "ref": "v1"}})
    dest = tmp_path / "home/trainings/course"
    assert trainings.put_material(entry, dest) == ["intro.en.ipynb"]
    assert (dest / "intro.en.ipynb").read_text() == "v1" and not (dest / ".git").exists()
    entry.training["material"]["ref"] = "main"
    assert trainings.put_material(entry, dest) == []  # the user's copy is kept
    entry.training["material"]["ref"] = "no-such-branch"
    with pytest.raises(trainings.MaterialError, match="cannot clone"):
        trainings.put_material(entry, tmp_path / "other")


def test_the_init_script_copies_only_missing_files(tmp_path):
    """The init container's script, run for real with sh on the shipped material."""
    entry = DatalabCatalog().get("first-steps")
    data = trainings.tarball(entry)
    assert len(data) < trainings.MAX_INLINE_MATERIAL
    dest = tmp_path / "work/trainings/first-steps"
    dest.mkdir(parents=True)
    (dest / "first-steps.en.ipynb").write_text("alice's edits")
    env = {"PATH": os.environ["PATH"], "DATALAB_TRAINING_DEST": str(dest), "DATALAB_TRAINING_TAR": data}
    subprocess.run(["sh", "-c", trainings.INIT_SCRIPT], env=env, check=True, timeout=60)
    assert (dest / "first-steps.en.ipynb").read_text() == "alice's edits"
    shipped = trainings.material_folder(entry) / "premiers-pas.fr.ipynb"
    assert (dest / "premiers-pas.fr.ipynb").read_bytes() == shipped.read_bytes()
