"""The extension's French catalog matches its code: every English string the TypeScript
passes to `trans.__`, `trans._n` or `trans._p` has a French translation in the .po, and
the .po has nothing the code no longer says. Seen before: the sidebar's strings lived in
two hand-written dictionaries beside JupyterLab's gettext, out of its language switch."""

import ast
import importlib.util
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "labextension" / "src"
PO = ROOT / "jupyterhub_datalab" / "locale" / "fr_FR" / "LC_MESSAGES" / "jupyterhub_datalab.po"

# a string literal of TypeScript, single- or double-quoted (no template literals: gettext
# cannot extract what is computed)
LITERAL = r"""('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
CALLS = {
    "__": re.compile(r"\._?_\(\s*" + LITERAL),
    "_n": re.compile(r"\._n\(\s*" + LITERAL + r"\s*,\s*" + LITERAL),
    "_p": re.compile(r"\._p\(\s*" + LITERAL + r"\s*,\s*" + LITERAL),
}
DYNAMIC = re.compile(r"\.(?:__|_n|_p)\(\s*(?!['\"])")


def _text(literal):
    return ast.literal_eval(literal)


def strings_in(source):
    """{(context, msgid)} of the gettext calls in one TypeScript source."""
    found = {(None, _text(m.group(1))) for m in re.finditer(r"\.__\(\s*" + LITERAL, source)}
    found |= {(None, _text(m.group(1))) for m in CALLS["_n"].finditer(source)}
    found |= {(_text(m.group(1)), _text(m.group(2))) for m in CALLS["_p"].finditer(source)}
    return found


def code_strings():
    found = {}
    for path in sorted(SRC.rglob("*.ts")):
        if "__tests__" in path.parts or path.name.endswith(".d.ts"):
            continue
        for key in strings_in(path.read_text(encoding="utf-8")):
            found.setdefault(key, path.relative_to(ROOT).as_posix())
    return found


def catalog():
    with open(PO, "rb") as f:
        return read_po(f)


@pytest.mark.unit
def test_the_extractor_reads_every_call_form():
    source = """
        trans.__('Upload'); this._trans.__("It's here", x);
        trans._n('%1 file', '%1 files', n); trans._p('unit', 'GiB');
        trans.__(
          'Wrapped %1', name)
    """
    assert strings_in(source) == {(None, "Upload"), (None, "It's here"), (None, "%1 file"),
                                  ("unit", "GiB"), (None, "Wrapped %1")}


@pytest.mark.unit
def test_the_code_has_strings_to_translate():
    strings = code_strings()
    assert len(strings) > 100, strings
    assert (None, "Upload") in strings and ("service status", "ready") in strings


@pytest.mark.unit
def test_no_string_is_computed_where_gettext_cannot_see_it():
    computed = [f"{p.relative_to(ROOT)}:{p.read_text()[:m.start()].count(chr(10)) + 1}"
                for p in SRC.rglob("*.ts") if "__tests__" not in p.parts
                for m in DYNAMIC.finditer(p.read_text(encoding="utf-8"))]
    assert not computed, f"trans.__ called with a non-literal (not extractable): {computed}"


@pytest.mark.unit
def test_every_string_of_the_code_has_its_french_translation():
    messages = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog() if m.id}
    missing = {key: where for key, where in code_strings().items() if key not in messages}
    assert not missing, f"strings missing from {PO.name}: {missing}"
    untranslated = [key for key, m in messages.items()
                    if m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string])]
    assert not untranslated, f"untranslated or fuzzy in {PO.name}: {untranslated}"


@pytest.mark.unit
def test_the_catalog_has_no_stale_string():
    code = code_strings()
    stale = [(m.context, m.id) for m in catalog()
             if m.id and (m.context, m.id if isinstance(m.id, str) else m.id[0]) not in code]
    assert not stale, f"in {PO.name} but no longer in labextension/src: {stale}"


@pytest.mark.unit
def test_placeholders_survive_translation():
    for m in catalog():
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        wanted = set(re.findall(r"%\d", " ".join(ids)))
        for text in strings:
            assert set(re.findall(r"%\d", text)) == wanted, (m.id, text)


@pytest.mark.unit
def test_the_build_compiles_the_po_as_jupyterlab_reads_it(tmp_path):
    spec = importlib.util.spec_from_file_location("hatch_build", ROOT / "hatch_build.py")
    hatch_build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hatch_build)
    po = tmp_path / "fr_FR" / "LC_MESSAGES" / "jupyterhub_datalab.po"
    po.parent.mkdir(parents=True)
    po.write_text(PO.read_text(encoding="utf-8") + '\nmsgid "Not yet"\nmsgstr ""\n\n'
                  'msgid "%1 file"\nmsgid_plural "%1 files"\nmsgstr[0] "%1 fichier"\n'
                  'msgstr[1] "%1 fichiers"\n', encoding="utf-8")
    [written] = hatch_build.compile_catalogs(tmp_path)
    data = json.loads(written.read_text(encoding="utf-8"))
    assert data[""]["domain"] == "jupyterhub_datalab"
    assert data[""]["plural_forms"] == "nplurals=2; plural=(n > 1);"
    assert data["Upload"] == ["Téléverser"]
    assert data["service status\u0004ready"] == ["prêt"]
    assert data["%1 file"] == ["%1 fichier", "%1 fichiers"]
    assert "Not yet" not in data  # untranslated: JupyterLab falls back to the English
