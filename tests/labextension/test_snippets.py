"""The storage panel's code snippets treat object keys as data: the compiled
``lib/snippets.js`` (run by Node) is asked for the snippets of hostile names, and the
Python ones run for real against local files of those names. Seen before: a project member
named a file ``q3.csv" if __import__("os").system("id > x") else "q3.csv`` and another
member's pasted pandas snippet ran the command."""

import ast
import json
import os
import subprocess
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[2] / "labextension/lib/snippets.js"

HOSTILE = [
    'q3.csv" if __import__("os").system("touch pwned") else "q3.csv',
    "q3'; COPY (SELECT 1) TO 'pwned.csv'; --.csv",
    'back\\slash\\" + __import__("os").system("touch pwned") + ".csv',
    "été {x} $HOME `id`.parquet",
]


def snippets_of(*urls):
    """{url: {label: code}} from the extension's own compiled module."""
    harness = LIB.read_text() + f"\nconsole.log(JSON.stringify({json.dumps(list(urls))}.map("
    harness += "u => Object.fromEntries(snippets(u).map(s => [s.label, s.code])))));\n"
    out = subprocess.run(["node", "--input-type=module"], input=harness, capture_output=True,
                         text=True, check=True, timeout=60).stdout
    return dict(zip(urls, json.loads(out)))


@pytest.mark.parametrize("name", HOSTILE)
def test_python_snippets_read_the_file_and_run_nothing_else(tmp_path, name, monkeypatch):
    import duckdb
    import pandas as pd

    monkeypatch.chdir(tmp_path)
    reader = "parquet" if name.endswith(".parquet") else "csv"
    frame = pd.DataFrame({"city": ["Paris", "Lyon"]})
    (frame.to_parquet if reader == "parquet" else lambda p: frame.to_csv(p, index=False))(name)
    code = snippets_of(name)[name]
    for tree in map(ast.parse, (code["pandas"], code["polars"], code["duckdb"])):
        assert not any(isinstance(node, (ast.IfExp, ast.BinOp)) for node in ast.walk(tree)), ast.dump(tree)

    scope = {}
    exec(code["pandas"], scope)  # noqa: S102  (the point: pasting it is harmless)
    assert scope["df"]["city"].tolist() == ["Paris", "Lyon"]

    # the DuckDB snippet with this machine's local file, credentials set as a server has them
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "x")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    # httpfs from its PyPI wheel, as the parquet-duckdb training loads it (no internet here)
    import duckdb_extension_httpfs
    (wheel_ext,) = Path(duckdb_extension_httpfs.__file__).parent.glob("extensions/*/httpfs.duckdb_extension")
    duckdb.execute(f"LOAD '{wheel_ext}'")
    shown = []
    monkeypatch.setattr(duckdb.DuckDBPyRelation, "show", lambda self, *a, **k: shown.append(self.fetchall()))
    exec(code["duckdb"], {})  # noqa: S102
    assert shown == [[("Paris",), ("Lyon",)]]
    assert sorted(os.listdir(tmp_path)) == [name], "a snippet wrote a file"


def test_r_snippets_quote_the_key_as_an_r_string():
    name = HOSTILE[0]
    code = snippets_of(name)[name]["R (arrow)"]
    literal = code[code.index("(") + 1:code.rindex(")")]
    assert json.loads(literal) == name  # R reads JSON's double-quoted escapes alike
    assert code.count('"') - code.count('\\"') == 2


def test_keys_with_control_characters_get_no_snippet():
    assert snippets_of("a\nb.csv", "tab\t.csv") == {"a\nb.csv": {}, "tab\t.csv": {}}
