"""Reading catalog files: JSON, the shared blocks entries include (``$ref``), the
entry files of a source, and loading sources into entries by id."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from .checks import check_document
from .model import CatalogError, Entry


def _read_json(path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8")), []
    except json.JSONDecodeError as e:
        return None, [CatalogError(path, f"line {e.lineno} column {e.colno}", f"invalid JSON: {e.msg}",
                                   f"JSON non valide : {e.msg}")]
    except (OSError, UnicodeDecodeError) as e:
        return None, [CatalogError(path, "", f"cannot be read: {e.strerror or e}",
                                   f"illisible : {e.strerror or e}")]


def _include(node, base, file, where, errors, depth=0, origins=None):
    """Replace ``{"$ref": "../shared/x.json"}`` by that file: blocks shared by entries.

    ``origins`` (a dict, if given) gets the path of each included block -> its file."""
    if isinstance(node, list):
        return [_include(v, base, file, f"{where}[{i}]", errors, depth, origins)
                for i, v in enumerate(node)]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#") and len(node) == 1:
        target = (base / ref).resolve()
        if depth > 5 or not ref.endswith(".json"):
            errors.append(CatalogError(file, where, f"cannot include {ref!r}: a .json file, "
                                       "at most 5 levels deep, is expected",
                                       f"impossible d'inclure {ref!r} : un fichier .json est "
                                       "attendu, à 5 niveaux au plus"))
            return node
        doc, problems = _read_json(target)
        if problems:
            errors.append(CatalogError(file, where, f"cannot include {ref!r}: {problems[0].en}",
                                       f"impossible d'inclure {ref!r} : {problems[0].fr}"))
            return node
        if origins is not None:
            origins[where] = target
        return _include(doc, target.parent, file, where, errors, depth + 1, origins)
    return {k: _include(v, base, file, f"{where}.{k}" if where else k, errors, depth, origins)
            for k, v in node.items()}


def read_entry(path):
    """(Entry or None, errors) for one file."""
    path = Path(path)
    doc, errors = _read_json(path)
    if errors:
        return None, errors
    origins = {}
    doc = _include(doc, path.parent, path, "", errors, origins=origins)
    errors += check_document(doc, path, origins)
    if errors:
        return None, errors
    options = copy.deepcopy(doc["options"])
    versions = tuple(doc["image"]["versions"])
    options.setdefault("properties", {})
    options["properties"] = {"version": {
        "type": "string", "enum": list(versions), "default": versions[0],
        "x-datalab": {"label": {"en": "Version", "fr": "Version"}, "sets": "version",
                      "widget": "select"}}, **options["properties"]}
    return Entry(id=doc["id"], kind=doc["kind"], name=doc["name"], description=doc["description"],
                 icon=doc["icon"], category=doc["category"], image=doc["image"]["name"],
                 versions=versions, options=options, kubernetes=doc.get("kubernetes") or {},
                 local=doc.get("local") or {}, training=doc.get("training") or {},
                 source=str(path), service=doc.get("service") or {}), []


def entry_files(source):
    source = Path(source)
    if source.is_file():
        return [source]
    # blocks that entries include live in folders named ``shared``; hidden folders are
    # skipped: a Kubernetes ConfigMap mount keeps each file twice (``..<timestamp>/``);
    # ``*.schema.json`` are for editors (``catalog.schema.json``), not entries
    return sorted(p for p in source.rglob("*.json")
                  if not p.name.endswith(".schema.json")
                  and not any(part == "shared" or part.startswith(".")
                              for part in p.relative_to(source).parts[:-1]))


def load(sources):
    """(entries by id, errors) from files and directories; duplicate ids are errors."""
    entries, errors = {}, []
    for source in sources:
        if not Path(source).exists():
            errors.append(CatalogError(source, "", "no such file or directory",
                                       "fichier ou dossier introuvable"))
            continue
        for path in entry_files(source):
            entry, problems = read_entry(path)
            # a mistake in a shared block is said once, not once per entry including it
            errors.extend(p for p in problems if str(p) not in map(str, errors))
            if entry is None:
                continue
            if entry.id in entries:
                errors.append(CatalogError(path, "id", f"duplicate id {entry.id!r}, "
                                           f"already used by {entries[entry.id].source}",
                                           f"id {entry.id!r} en double, déjà pris par "
                                           f"{entries[entry.id].source}"))
                continue
            entries[entry.id] = entry
    return entries, errors
