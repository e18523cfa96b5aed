"""Launch links through the real hub of `datalab up`: they pre-fill the spawn form, never start.

``/hub/datalab/launch/<entry>?server=<name>&<option path>=<value>`` is checked for the
signed-in user like a start (entry access, schema, admin bounds); a refused link says which
field in English and French; nothing runs until the user posts the form. JupyterHub's own
``/hub/spawn?<options>`` auto-start is closed too.
"""

import html.parser
import urllib.parse

import pytest
import requests

from .stackctl import oidc_login
from .spawner.test_spawn_profiles import hub_api
from .waiting import wait_until

USER = "bob"  # no other module of this file's tests starts bob's "linked" servers


class _Fields(html.parser.HTMLParser):
    """Every form control of a page: inputs, selected options, textareas, the form's action."""

    def __init__(self):
        super().__init__()
        self.inputs, self.selects, self.action, self._select = {}, {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "spawn_form":
            self.action = attrs.get("action")
        elif tag == "input" and attrs.get("name"):
            if attrs.get("type") == "radio":
                if "checked" in attrs:
                    self.inputs[attrs["name"]] = attrs.get("value")
            elif attrs.get("type") == "checkbox":
                self.inputs[attrs["name"]] = "true" if "checked" in attrs else "false"
            elif attrs.get("type") != "hidden":
                self.inputs[attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select and "selected" in attrs:
            self.selects[self._select] = attrs.get("value")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def fields(page):
    parser = _Fields()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def bob(stack):
    return oidc_login(stack.hub_url, USER, stack.password(USER))


def nothing_started(stack, session, server):
    servers = hub_api(session, stack.hub_url, "GET", f"users/{USER}").json()["servers"]
    assert server not in servers, servers
    assert server not in stack.server_envs(USER)


def test_a_valid_link_prefills_the_form_and_starts_nothing(stack, bob):
    query = {"server": "linked", "version": "py3.12.9", "resources.cpu": "2",
             "git.repository": "https://github.com/InseeFrLab/formation.git",
             "connections.vault": "false"}
    r = bob.get(f"{stack.hub_url}/hub/datalab/launch/jupyter-python", params=query, timeout=60)
    assert r.status_code == 200, r.text[:1000]
    form = fields(r.text)
    assert form.inputs["entry"] == "jupyter-python", "the entry's card is checked"
    assert form.selects["jupyter-python/version"] == "py3.12.9"
    assert form.inputs["jupyter-python/resources.cpu"] == "2"
    assert form.inputs["jupyter-python/git.repository"] == query["git.repository"]
    # a switch posts "true" when checked: the link turned it off
    assert form.inputs["jupyter-python/connections.vault"] == "false"
    assert form.inputs["jupyter-python/connections.s3"] == "true"
    # the form posts to JupyterHub's own spawn handler for the named server, with its xsrf token
    assert form.action.startswith(f"/hub/spawn/{USER}/linked?_xsrf=")
    text = r.content.decode("utf-8")
    assert "Opened from a launch link for “Jupyter Python”" in text
    assert "Ouvert depuis un lien de lancement pour « Jupyter Python »" in text
    assert r.headers["Cache-Control"] == "no-store"
    nothing_started(stack, bob, "linked")
    # not even a stopped server entry: the form's post creates it
    model = hub_api(bob, stack.hub_url, "GET", f"users/{USER}?include_stopped_servers=1").json()
    assert "linked" not in model["servers"]


def test_the_prefilled_form_starts_what_the_link_said_when_posted(stack, bob):
    """The user's click: posting the pre-filled form as is starts the server with the link's values."""
    query = {"server": "linked2", "version": "py3.12.9", "resources.cpu": "2"}
    r = bob.get(f"{stack.hub_url}/hub/datalab/launch/jupyter-python", params=query, timeout=60)
    form = fields(r.text)
    data = {"entry": form.inputs["entry"], **form.selects,
            **{k: v for k, v in form.inputs.items() if k.startswith("jupyter-python/")}}
    r = bob.post(urllib.parse.urljoin(stack.hub_url, form.action), data=data, timeout=60)
    assert r.status_code == 200, r.text[:1000]
    try:
        env = wait_until(lambda: stack.server_envs(USER).get("linked2"),
                         "the server started by the posted form", timeout=120, interval=0.5)
        assert env["DATALAB_ENTRY_VERSION"] == "py3.12.9" and float(env["CPU_LIMIT"]) == 2
    finally:
        hub_api(bob, stack.hub_url, "DELETE", f"users/{USER}/servers/linked2", {"remove": True})


@pytest.mark.parametrize("entry, query, field, en, fr", [
    ("jupyter-python", {"resources.cpu": "64"}, "resources.cpu", "64 is above the maximum 2",
     "64 dépasse le maximum 2"),
    ("jupyter-python", {"resources.cpu": "lots"}, "resources.cpu", "expected a number",
     "attendu : number"),
    ("jupyter-python", {"resources.gpus": "1"}, "resources.gpus", "unknown option",
     "option inconnue"),
    ("jupyter-python", {"git.repository": "file:///etc/passwd"}, "git.repository", "does not match",
     "ne correspond pas au format"),
    # restricted to the `gpu` project in `datalab up`; bob is in `stats` only
    ("jupyter-pytorch-gpu", {}, "entry", "no such environment in the catalog",
     "cette entrée n'existe pas dans le catalogue"),
    ("no-such-entry", {"resources.cpu": "1"}, "entry", "no such environment in the catalog",
     "cette entrée n'existe pas dans le catalogue"),
    # a service is launched from JupyterLab, not as a server
    ("postgresql", {}, "entry", "no such environment in the catalog",
     "cette entrée n'existe pas dans le catalogue"),
], ids=["out-of-bounds", "not-a-number", "unknown-option", "bad-pattern", "restricted-entry",
        "unknown-entry", "a-service"])
def test_a_refused_link_says_which_field_in_both_languages_and_starts_nothing(
        stack, bob, entry, query, field, en, fr):
    r = bob.get(f"{stack.hub_url}/hub/datalab/launch/{entry}", params={"server": "refused", **query},
                timeout=60)
    assert r.status_code == 400, r.text[:1000]
    text = html.unescape(r.content.decode("utf-8"))  # the page says utf-8 in a meta tag
    assert f"Option {field}: " in text and en in text, text[:3000]
    assert f"Option {field} : " in text and fr in text
    assert "Traceback" not in text
    # the form is still there to choose again
    assert 'id="spawn_form"' in r.text
    nothing_started(stack, bob, "refused")


def test_anonymous_visitors_are_sent_to_log_in_and_back(stack):
    link = "/hub/datalab/launch/jupyter-python?server=linked&resources.cpu=2"
    r = requests.get(stack.hub_url + link, allow_redirects=False, timeout=30)
    assert r.status_code == 302, r.status_code
    location = urllib.parse.urlsplit(r.headers["Location"])
    assert location.path.endswith("/hub/login")
    assert urllib.parse.parse_qs(location.query)["next"] == [link]


@pytest.mark.parametrize("query", [
    {"entry": "jupyter-python", "resources.cpu": "2"},
    {"opt-entry": "jupyter-python", "opt-resources.cpu": "2"},
    {"entry": "jupyter-python", "jupyter-python/resources.cpu": "2"},
], ids=["plain", "opt-prefixed", "form-names"])
def test_spawn_page_query_arguments_do_not_start_a_server(stack, bob, query):
    """JupyterHub would start a server from /hub/spawn?... at once; here it offers the launch link."""
    r = bob.get(f"{stack.hub_url}/hub/spawn/{USER}/queried", params=query, timeout=60)
    assert r.status_code == 400, r.text[:1000]
    assert 'id="spawn_form"' in r.text
    text = html.unescape(r.content.decode("utf-8"))  # the page says utf-8 in a meta tag
    assert "A link does not start a server by itself" in text
    assert "Un lien ne démarre pas de serveur à lui seul" in text
    assert "/hub/datalab/launch/jupyter-python?server=queried&resources.cpu=2 " in text
    nothing_started(stack, bob, "queried")
