"""Trainings: catalog environments that open with their material in the workspace.

A training is an environment entry of category ``training`` with a ``training`` section
(checked by :func:`jupyterhub_datalab.catalog.check_document`)::

    "training": {
      "material": {"path": "first-steps"},            # a folder beside the entry file, or
                  # {"git": "https://...", "ref": "main"}  a repository cloned at start
      "open": {"en": "first-steps.en.ipynb", "fr": "premiers-pas.fr.ipynb"}
    }

At each start the spawner puts the material into ``<workspace>/trainings/<entry id>/``,
copying only the files that are missing there, so a user's edited notebooks are never
overwritten, and opens the notebook of the user's language (English when unknown).
The local spawner copies (or clones) into the home directory itself; the Kubernetes
spawner does it in an init container (:func:`init_container`).
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
import urllib.parse
from pathlib import Path

from .kubernetes import restricted_security_context
from .messages import DatalabError

FOLDER = "trainings"
GIT_TIMEOUT = 120
# material given to a Kubernetes init container as a variable: keep pod specs small
MAX_INLINE_MATERIAL = 512 * 1024


class MaterialError(DatalabError, RuntimeError):
    """The material could not be put into the workspace; ``en``/``fr`` say why."""

    def __init__(self, en, fr=None):
        super().__init__(500, en, fr)

    def __str__(self):
        return self.message  # both: what the hub's log keeps


def folder(entry, root=FOLDER):
    """Where the material goes, relative to the workspace: ``trainings/<id>``."""
    return f"{root.strip('/')}/{entry.id}" if root.strip("/") else entry.id


def notebook(entry, lang):
    """The notebook opened first for ``lang`` (English when the entry has none for it)."""
    opens = entry.training["open"]
    return opens.get(lang) or opens["en"]


def default_url(entry, lang, root=FOLDER):
    """JupyterLab's URL of the first notebook: ``/lab/tree/trainings/<id>/<notebook>``."""
    return "/lab/tree/" + urllib.parse.quote(f"{folder(entry, root)}/{notebook(entry, lang)}")


def material_folder(entry):
    """The catalog folder of a ``{"path": ...}`` material (checked by the validator)."""
    return Path(entry.source).resolve().parent / entry.training["material"]["path"]


def copy_missing(source, dest):
    """Copy the files of ``source`` that ``dest`` lacks; return their relative paths.

    Existing files are kept as they are (the user's edits win); symbolic links and
    ``.git`` are skipped."""
    source, dest = Path(source), Path(dest)
    copied = []
    for root, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d != ".git" and not (Path(root) / d).is_symlink())
        rel = Path(root).relative_to(source)
        for name in sorted(files):
            src = Path(root) / name
            if src.is_symlink() or not src.is_file():
                continue
            target = dest / rel / name
            if target.exists() or target.is_symlink():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
            copied.append(str(rel / name))
    return copied


def clone(url, ref, into, timeout=GIT_TIMEOUT):
    """A shallow clone of ``url`` at ``ref`` (branch or tag) into ``into``."""
    command = ["git", "clone", "--quiet", "--depth", "1"]
    if ref:
        command += ["--branch", ref]
    command += ["--", url, str(into)]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout, env=env,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise MaterialError("git is not installed: the training material cannot be cloned",
                            "git n'est pas installé : le support de formation ne peut pas être cloné") from None
    except subprocess.TimeoutExpired:
        raise MaterialError(f"cloning {url} took more than {timeout} s",
                            f"le clonage de {url} a pris plus de {timeout} s") from None
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["?"])[-1]
        raise MaterialError(f"cannot clone {url} ({ref or 'default branch'}): {why}",
                            f"impossible de cloner {url} ({ref or 'branche par défaut'}) : {why}")


def put_material(entry, dest):
    """Put the entry's material into ``dest`` (created), copying only missing files.

    Returns the relative paths copied (empty when everything was already there)."""
    material = entry.training["material"]
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if "path" in material:
        source = material_folder(entry)
        if not source.is_dir():
            raise MaterialError(f"the material folder {source} is missing",
                                f"le dossier du support {source} est introuvable")
        return copy_missing(source, dest)
    with tempfile.TemporaryDirectory(prefix="datalab-training-") as tmp:
        clone(material["git"], material.get("ref"), Path(tmp) / "material")
        return copy_missing(Path(tmp) / "material", dest)


def tarball(entry):
    """The ``path`` material as a gzipped tar, base64 (for a Kubernetes init container)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        source = material_folder(entry)
        for path in sorted(source.rglob("*")):
            if path.is_file() and not path.is_symlink() and ".git" not in path.relative_to(source).parts:
                tar.add(path, arcname=str(path.relative_to(source)), recursive=False)
    data = base64.b64encode(buffer.getvalue()).decode()
    if len(data) > MAX_INLINE_MATERIAL:
        raise MaterialError(
            f"the material of {entry.id} is too large to start on Kubernetes from the catalog "
            f"({len(data) // 1024} KiB encoded, {MAX_INLINE_MATERIAL // 1024} at most): use git material",
            f"le support de {entry.id} est trop gros pour démarrer sur Kubernetes depuis le catalogue "
            f"({len(data) // 1024} Kio encodés, {MAX_INLINE_MATERIAL // 1024} au plus) : utilisez un dépôt git")
    return data


# copy only what is missing: the user's edited copy on their disk is kept (cp -n)
INIT_SCRIPT = """set -e
dest="$DATALAB_TRAINING_DEST"
tmp="$(mktemp -d)"
mkdir -p "$dest" "$tmp/m"
if [ -n "$DATALAB_TRAINING_GIT" ]; then
  rmdir "$tmp/m"
  if [ -n "$DATALAB_TRAINING_REF" ]; then
    git clone --quiet --depth 1 --branch "$DATALAB_TRAINING_REF" -- "$DATALAB_TRAINING_GIT" "$tmp/m"
  else
    git clone --quiet --depth 1 -- "$DATALAB_TRAINING_GIT" "$tmp/m"
  fi
  rm -rf "$tmp/m/.git"
else
  printf '%s' "$DATALAB_TRAINING_TAR" | base64 -d | tar -xzf - -C "$tmp/m"
fi
cp -Rn "$tmp/m/." "$dest/"
rm -rf "$tmp"
"""


def init_container(entry, image, dest, uid=None, gid=None):
    """The init container that puts the material into ``dest`` before the server starts.

    It runs the environment's own image (git, tar and base64 are in every Onyxia image):
    ``git`` material is cloned there, ``path`` material travels in the spec as a small
    tarball. The caller mounts the workspace volume."""
    material = entry.training["material"]
    env = [{"name": "DATALAB_TRAINING_DEST", "value": dest}]
    if "git" in material:
        env.append({"name": "DATALAB_TRAINING_GIT", "value": material["git"]})
        if material.get("ref"):
            env.append({"name": "DATALAB_TRAINING_REF", "value": material["ref"]})
    else:
        env.append({"name": "DATALAB_TRAINING_TAR", "value": tarball(entry)})
    container = {"name": "training-material", "image": image, "command": ["sh", "-c", INIT_SCRIPT],
                 "env": env,
                 "securityContext": restricted_security_context(),
                 "resources": {"limits": {"cpu": "500m", "memory": "256Mi"},
                               "requests": {"cpu": "50m", "memory": "64Mi"}}}
    if uid is not None:
        container["securityContext"]["runAsUser"] = int(uid)
    if gid is not None:
        container["securityContext"]["runAsGroup"] = int(gid)
    return container
