"""JupyterLab's language setting follows the datalab's rule, but never replaces the
person's own choice (made in Settings > Language)."""

import json
import logging

import pytest

from jupyterhub_datalab.server.language import MARK, SETTING, apply_language

pytestmark = pytest.mark.unit
LOG = logging.getLogger("test")


def read(path):
    text = path.read_text()
    return json.loads("\n".join(line for line in text.splitlines() if not line.startswith("//")))


def test_french_is_written_then_follows_the_browser_until_the_person_chooses(tmp_path):
    path = tmp_path / SETTING
    assert apply_language(LOG, {"DATALAB_LANGUAGE": "fr"}, tmp_path) == "fr_FR"
    assert read(path) == {"locale": "fr_FR"} and path.read_text().startswith(MARK)
    # ours: a later start from an English browser switches it
    assert apply_language(LOG, {"DATALAB_LANGUAGE": "en"}, tmp_path) == "en"
    assert read(path) == {"locale": "en"}
    # JupyterLab rewrites the file when the person chooses: theirs from then on
    path.write_text(json.dumps({"locale": "fr_FR"}))
    assert apply_language(LOG, {"DATALAB_LANGUAGE": "en"}, tmp_path) is None
    assert read(path) == {"locale": "fr_FR"}


def test_nothing_is_written_without_a_known_language(tmp_path):
    for env in ({}, {"DATALAB_LANGUAGE": "de"}):
        assert apply_language(LOG, env, tmp_path) is None
    assert not (tmp_path / SETTING).exists()
