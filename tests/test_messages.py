"""One bilingual error for the whole datalab (``jupyterhub_datalab/messages.py``).

Seen before: eleven error helpers with three argument orders (``ServiceError(status,
message, fr)``, ``BackendError(en, fr, status)`` (now all ``(status, en, fr=)``), ``StackError(message, exit_code)``), and
storage and secrets errors in English only. Now each is a ``DatalabError`` and every one
raised anywhere in the package carries its French, read here from the source."""

import ast
import importlib
import inspect
from collections import Counter
from pathlib import Path

import pytest

import jupyterhub_datalab
from jupyterhub_datalab.i18n import environment_language
from jupyterhub_datalab.messages import DatalabError, Message

ROOT = Path(jupyterhub_datalab.__file__).parent


def sources():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "node_modules" in relative.parts or relative.parts[0] == "labextension":
            continue
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def module_of(path):
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def error_classes():
    """name -> class of every DatalabError subclass the package defines (found in the
    source, so a new one is covered without being listed here; only their modules are
    imported)."""
    defined = []  # (class name, base names, path)
    for path, tree in sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", None) or getattr(b, "attr", None) for b in node.bases}
                defined.append((node.name, bases, path))
    names, grew = {"DatalabError"}, True
    while grew:
        grew = False
        for name, bases, _ in defined:
            if name not in names and bases & names:
                names.add(name)
                grew = True
    found = {"DatalabError": DatalabError}
    for name, _, path in defined:
        if name in names and name != "DatalabError":
            cls = getattr(importlib.import_module(module_of(path)), name)
            assert issubclass(cls, DatalabError), cls
            found[name] = cls
    return found


def french_position(cls):
    """Where ``fr`` comes among the positional arguments of ``cls(...)``."""
    names = [p.name for p in inspect.signature(cls).parameters.values()
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return names.index("fr") if "fr" in names else None


@pytest.mark.unit
def test_every_error_class_takes_its_french_as_fr():
    classes = error_classes()
    # the helpers of before, each now one type with one way to give the French
    assert {"ServiceError", "StorageError", "SecretsError", "ApiError", "StackError",
            "OptionsError"} <= set(classes), sorted(classes)
    assert not [name for name, cls in classes.items() if french_position(cls) is None]


def without_french(path, tree, classes, seen):
    """``file:line: call`` of each error built in ``tree`` without its French; ``seen``
    (a Counter) counts the errors built, by class."""
    missing = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in classes:
            continue
        seen[name] += 1
        if any(isinstance(a, ast.Starred) for a in node.args) or \
                any(k.arg in ("fr", None) for k in node.keywords):
            continue  # fr=..., or (en, fr) spread from a pair
        if len(node.args) <= french_position(classes[name]):
            missing.append(f"{path}:{node.lineno}: {ast.unparse(node)[:110]}")
    return missing


@pytest.mark.unit
def test_every_error_raised_in_the_package_has_its_french():
    classes = error_classes()
    missing, seen = [], Counter()
    for path, tree in sources():
        missing += without_french(path.relative_to(ROOT), tree, classes, seen)
    assert sum(seen.values()) > 140, seen  # the rule found the package's errors (shared checks merge some)
    # the catalog validator's errors too: a contributor with a French terminal reads French
    assert seen["CatalogError"] > 60, seen
    assert not missing, f"{len(missing)} errors without French:\n" + "\n".join(missing)


@pytest.mark.unit
def test_a_catalog_error_without_french_is_found():
    """The rule can fail: ``CatalogError(file, path, en)`` has no French, ``(..., en, fr)``
    and ``(..., *words)`` have."""
    classes = error_classes()
    assert french_position(classes["CatalogError"]) == 3
    tree = ast.parse('errors.append(CatalogError(file, "id", "required field is missing"))\n'
                     'CatalogError(file, "id", "missing", "manquant")\n'
                     'CatalogError(where, path, *words)\n')
    missing = without_french("x.py", tree, classes, Counter())
    assert missing == ["x.py:1: CatalogError(file, 'id', 'required field is missing')"], missing


@pytest.mark.unit
def test_a_catalog_error_keeps_its_english_line_and_has_a_french_one():
    from jupyterhub_datalab.catalog import CatalogError

    error = CatalogError("shared/gpu.json", "maxLenght", "unknown keyword; did you mean maxLength?",
                         "mot-clé inconnu ; vouliez-vous dire maxLength ?")
    assert (str(error), error.message, error.field) == (
        "shared/gpu.json: maxLenght: unknown keyword; did you mean maxLength?",
        "unknown keyword; did you mean maxLength?", "maxLenght")
    assert error.line("fr") == "shared/gpu.json: maxLenght: mot-clé inconnu ; vouliez-vous dire maxLength ?"
    assert CatalogError("x.json", "", "no such file or directory").line("fr") == \
        "x.json: (fichier): no such file or directory"  # no French given: the English


@pytest.mark.unit
def test_one_error_speaks_each_language_and_names_its_field():
    error = DatalabError(400, "cpu: at most 8.", fr="cpu : 8 au plus.", field="cpu")
    assert (error.status, str(error), error.text("fr"), error.text("en")) == \
        (400, "cpu: at most 8.", "cpu : 8 au plus.", "cpu: at most 8.")
    assert error.to_json("fr") == {"message": "cpu : 8 au plus.", "en": "cpu: at most 8.",
                                   "fr": "cpu : 8 au plus.", "field": "cpu"}
    # a caller that asked no language gets both (what logs and stored states keep)
    assert error.to_json()["message"] == error.message == "cpu: at most 8. / cpu : 8 au plus."
    english_only = DatalabError(500, "Broken.")
    assert english_only.text("fr") == "Broken." and not english_only.has_french
    assert "field" not in english_only.to_json("en")


@pytest.mark.unit
def test_a_message_is_a_pair():
    what = Message("read q3.csv", "lire q3.csv")
    en, fr = what
    assert (en, fr, what.text("fr"), str(what)) == ("read q3.csv", "lire q3.csv", "lire q3.csv",
                                                      "read q3.csv / lire q3.csv")


@pytest.mark.unit
def test_the_old_helpers_are_the_one_error():
    from jupyterhub_datalab.catalog import OptionsError
    from jupyterhub_datalab.devstack import StackError
    from jupyterhub_datalab.server.errors import ServiceError
    from jupyterhub_datalab.service.errors import ApiError

    for error in (ServiceError(404, "Gone.", fr="Parti."), ApiError(404, "Gone.", fr="Parti."),
                  StackError("Gone.", fr="Parti.", exit_code=2), OptionsError("Gone.", fr="Parti.", field="x")):
        assert isinstance(error, DatalabError) and error.text("fr") == "Parti.", error
    assert StackError("Gone.", exit_code=2).exit_code == 2
    options = OptionsError("above the maximum 8", fr="dépasse le maximum 8", field="cpu")
    assert (options.status, options.field, str(options)) == (400, "cpu", "cpu: above the maximum 8")
    assert isinstance(options, ValueError)  # what the spawner and launch links catch


@pytest.mark.unit
@pytest.mark.parametrize("env, language", [
    ({"LANG": "fr_FR.UTF-8"}, "fr"),
    ({"LANG": "fr_FR.UTF-8", "LC_ALL": "C"}, "fr"),  # C says nothing: the next decides
    ({"LANG": "en_US.UTF-8", "LANGUAGE": "fr:en"}, "fr"),
    ({"LC_MESSAGES": "de_DE", "LANG": "fr_FR"}, "en"),  # the first set decides: German -> English
    ({}, "en"),
])
def test_the_terminal_language_follows_gettext(env, language):
    assert environment_language(env) == language


@pytest.mark.parametrize("lang, words", [("fr_FR.UTF-8", "--port 80 est hors limites"),
                                         ("C.UTF-8", "--port 80 is out of range")])
def test_the_datalab_command_says_its_errors_in_the_terminals_language(tmp_path, lang, words):
    import os
    import subprocess

    from .stackctl import DATALAB

    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    result = subprocess.run([*DATALAB, "up", "--state-dir", str(tmp_path / "s"), "--port", "80"], check=False,
                            capture_output=True, text=True, timeout=120, env=dict(env, LANG=lang))
    assert result.returncode == 2 and words in result.stderr, result.stderr
