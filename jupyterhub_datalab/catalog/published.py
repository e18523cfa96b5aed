"""The catalog's published JSON Schema, and the validator's check of unknown keywords.

``catalog.schema.json`` at the root of the shipped catalog describes an entry: its
fields, its sections (``options``, ``kubernetes``, ``local``, ``training``,
``service``), the JSON Schema keywords options may use and the ``x-datalab``
vocabulary. Editors read it through an entry's ``"$schema"``; the validator reads the
same file, so the keys it knows are the schema's and nothing else: there is no second
list to forget. It lives beside the entries (``catalog/``, ``catalog_files/`` in the
wheel) so that ``"../catalog.schema.json"`` leads to it from an entry in both.

Why: JSON Schema ignores keywords it does not know, so ``maxLenght`` for ``maxLength``
in a shared block silently dropped a bound, and ``x-datalab.lable`` a label. Every
object of an entry the schema closes (``additionalProperties: false``) now refuses a
key it does not declare, named with the file it is written in (the entry, or the
shared block it includes) and its path in that file, with the nearest known key.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

from ..messages import Message

SCHEMA_NAME = "catalog.schema.json"


def shipped_catalog():
    """The catalog directory that comes with the package (wheel) or the checkout."""
    here = Path(__file__).resolve().parent.parent  # the package: jupyterhub_datalab/
    for candidate in (here / "catalog_files", here.parent / "catalog"):
        if candidate.is_dir():
            return str(candidate)
    return str(here / "catalog_files")


def schema_path():
    return Path(shipped_catalog()) / SCHEMA_NAME


@cache
def schema():
    """The published schema of an entry (a dict; do not change it)."""
    return json.loads(schema_path().read_text(encoding="utf-8"))


@cache
def _validator():
    return Draft202012Validator(schema())


def known_keys(where):
    """The keys the schema declares for one part of an entry: ``"entry"`` or a name of
    its ``$defs`` (``"option"``, ``"x-datalab"``, ``"service"``...)."""
    part = schema() if where == "entry" else schema()["$defs"][where]
    return frozenset(part["properties"])


def dotted(parts):
    """``["options", "properties", "cpu"]`` -> ``options.properties.cpu``; list items as ``[i]``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(key, known):
    """(en, fr): the nearest known key, else the list of them."""
    near = difflib.get_close_matches(key, known, n=1)
    if near:
        return Message(f"unknown keyword; did you mean {near[0]}?",
                       f"mot-clé inconnu ; vouliez-vous dire {near[0]} ?")
    return Message(f"unknown keyword; known: {', '.join(known)}",
                   f"mot-clé inconnu ; mots-clés connus : {', '.join(known)}")


def _origin(path, origins):
    """(file, path in that file) of an entry path: the deepest shared block it is in.

    Only what is under an include comes from the block: the key holding it is the entry's."""
    best = None
    for start in origins:
        inside = start == "" or path.startswith((f"{start}.", f"{start}["))
        if inside and (best is None or len(start) > len(best)):
            best = start
    if best is None:
        return None, path
    return origins[best], path[len(best):].lstrip(".")


def unknown_keywords(doc, origins=None):
    """``(file, path, (en, fr))`` for every key of ``doc`` the schema does not declare.

    ``doc`` is an entry with its shared blocks included; ``origins`` maps the entry path
    where a block was included to that block's file (``"options.properties.resources"``
    -> ``.../shared/resources.json``). ``file`` is None for a key of the entry's own file.
    Only unknown keys are reported here: the other rules have their own, plainer errors.
    """
    found = []
    for error in _validator().iter_errors(doc):
        if error.validator != "additionalProperties" or error.validator_value is not False:
            continue
        known = sorted(error.schema.get("properties", {}))
        for key in sorted(set(error.instance) - set(known)):
            file, path = _origin(dotted([*error.absolute_path, key]), origins or {})
            found.append((file, path, _message(key, known)))
    return sorted(found, key=lambda f: (str(f[0] or ""), f[1]))
