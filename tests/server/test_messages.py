"""Every error a user's server answers is in both languages: the panel shows the caller's.
Seen before: storage and secrets errors (36 of them) were English only, so a French user
read "Permission denied: you cannot read q3.csv." in a French sidebar."""

import ast
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import jupyterhub_datalab.server as server
from jupyterhub_datalab.server.storage import explain

pytestmark = pytest.mark.unit
ERRORS = {"ServiceError", "StorageError", "SecretsError"}


def test_every_error_raised_in_the_server_has_its_french():
    missing = []
    for path in sorted(Path(server.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ERRORS:
                if len(node.args) < 3 and not any(k.arg == "fr" for k in node.keywords):
                    missing.append(f"{path.name}:{node.lineno}: {ast.unparse(node)[:100]}")
    assert not missing, "errors without French:\n" + "\n".join(missing)


@pytest.mark.parametrize("code, status, fr", [
    ("AccessDenied", 403, "Permission refusée : vous ne pouvez pas lire q3.csv."),
    ("NoSuchKey", 404, "Introuvable : impossible de lire q3.csv ; c'est peut-être supprimé."),
    ("SlowDown", 502, "S3 a refusé de lire q3.csv (SlowDown)."),
])
def test_s3_refusals_say_what_could_not_be_done_in_french_too(code, status, fr):
    error = explain(ClientError({"Error": {"Code": code}}, "GetObject"), ("read q3.csv", "lire q3.csv"))
    assert error.status == status and error.fr == fr, (error.status, error.fr)
    assert "read q3.csv" in error.message
