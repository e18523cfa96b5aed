"""Every error a user's server answers is in both languages: the panel shows the caller's.
Seen before: storage and secrets errors (36 of them) were English only, so a French user
read "Permission denied: you cannot read q3.csv." in a French sidebar. That every error
raised anywhere in the package has its French is tests/test_messages.py's."""

import pytest
from botocore.exceptions import ClientError

from jupyterhub_datalab.server.storage import explain

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("code, status, fr", [
    ("AccessDenied", 403, "Permission refusée : vous ne pouvez pas lire q3.csv."),
    ("NoSuchKey", 404, "Introuvable : impossible de lire q3.csv ; c'est peut-être supprimé."),
    ("SlowDown", 502, "S3 a refusé de lire q3.csv (SlowDown)."),
])
def test_s3_refusals_say_what_could_not_be_done_in_french_too(code, status, fr):
    error = explain(ClientError({"Error": {"Code": code}}, "GetObject"), ("read q3.csv", "lire q3.csv"))
    assert error.status == status and error.fr == fr, (error.status, error.fr)
    assert "read q3.csv" in error.message
