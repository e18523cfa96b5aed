"""The datalab service's errors in the caller's language: the user's server passes on the
person's language (JupyterLab's, chosen, else the browser's), and the service answers
``message`` in it, with ``en`` and ``fr`` beside. Seen before: every service error reached
the panel as ``"en / fr"``, both sentences glued, whatever the person read."""

import pytest

API = "services"  # what alice, bob and carol call (tests/clients.py)


@pytest.mark.parametrize("language, words", [
    ("fr-FR,fr;q=0.9", "Nom : uniquement des lettres"),
    ("en-GB,en;q=0.9", "Name: use letters, digits and '-' only"),
])
def test_a_refusal_of_the_service_in_the_browsers_language(carol, language, words):
    r = carol("POST", "services", json={"entry": "postgresql", "name": "données"},
             headers={"Accept-Language": language})
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["message"].startswith(words) and " / " not in body["message"], body
    assert body["en"].startswith("Name:") and body["fr"].startswith("Nom :"), body


def test_a_caller_naming_no_language_gets_both(carol):
    r = carol("POST", "services", json={"entry": "postgresql", "name": "données"})
    assert r.status_code == 400 and " / " in r.json()["message"], r.text


def test_a_refused_option_is_named_as_a_field(carol):
    r = carol("POST", "services", json={"entry": "postgresql", "options": {"database": 7}},
              headers={"Accept-Language": "fr"})
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["field"] == "database" and body["message"].startswith("Option database :"), body
