"""The documentation site: it builds with warnings as errors, and its configuration
reference lists exactly the settings of the project's classes.

Which settings count (the rule, also in docs/_ext/datalab_docs.py):

- the classes: every subclass of traitlets' ``Configurable`` defined in a module of
  ``jupyterhub_datalab`` (``c.<Class>`` sections an admin can write);
- their settings: every ``config=True`` trait that a class of ``jupyterhub_datalab``
  in the class's MRO defines: its own, those of project mixins and bases
  (``CatalogMixin``, ``CredentialsMixin``, listed under each spawner using them) and
  project re-definitions of upstream traits (``DatalabOAuthenticator.scope``).
  Traits only inherited from upstream (JupyterHub, KubeSpawner, OAuthenticator,
  traitlets) are documented upstream, not here;
- plain ``HasTraits`` mixins are not configurable by themselves (``c.CatalogMixin``
  does nothing), so each of their config traits must appear under at least one class.

So a new trait, or a new configurable class, missing from the reference fails here,
and a trait without help text fails the build.
"""

import importlib
import inspect
import pkgutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from traitlets import HasTraits
from traitlets.config import Configurable

import jupyterhub_datalab

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PACKAGE = "jupyterhub_datalab"

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs-html")
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(DOCS), str(out), "-d", str(tmp_path_factory.mktemp("doctrees"))],
        check=False, capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert build.returncode == 0, f"sphinx-build failed:\n{build.stdout}\n{build.stderr}"
    return out, build


def test_site_builds_without_warnings(site):
    out, build = site
    assert "WARNING" not in build.stderr, build.stderr
    for page in ("index", "users/index", "admins/index", "contributors/index",
                 "admins/config-reference", "contributors/catalog-format", "admins/embedded"):
        assert (out / f"{page}.html").is_file(), page


def test_links_to_repository_files_lead_to_their_pages(site):
    out, _ = site
    # ../catalog/README.md in profiles.md: the page that includes the catalog's README
    assert 'href="contributors/catalog-format.html"' in (out / "profiles.html").read_text()
    catalog_page = (out / "contributors/catalog-format.html").read_text()
    assert "Shipped entries" in catalog_page and "x-datalab" in catalog_page
    assert "jupyterhub-traefik-proxy" in (out / "admins/embedded.html").read_text()  # README's part


# -- the configuration reference ---------------------------------------------------


def _is_project(cls) -> bool:
    return cls.__module__ == PACKAGE or cls.__module__.startswith(PACKAGE + ".")


def _project_classes() -> list[type]:
    classes = set()
    for module_info in pkgutil.walk_packages(jupyterhub_datalab.__path__, PACKAGE + "."):
        if module_info.name.rsplit(".", 1)[-1] == "__main__":
            continue  # running it starts the program
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, HasTraits) and _is_project(value):
                classes.add(value)
    return sorted(classes, key=lambda cls: cls.__name__)


def _defined_by_project(cls, name) -> bool:
    owner = next(klass for klass in cls.__mro__ if name in vars(klass))
    return _is_project(owner)


def expected_settings() -> set[str]:
    settings, covered = set(), set()
    classes = _project_classes()
    for cls in classes:
        if not issubclass(cls, Configurable):
            continue
        for name in cls.class_traits(config=True):
            if _defined_by_project(cls, name):
                settings.add(f"c.{cls.__name__}.{name}")
                covered.add(name)
    for cls in classes:  # plain HasTraits mixins: documented through the classes using them
        if not issubclass(cls, Configurable):
            orphans = set(cls.class_own_traits(config=True)) - covered
            assert not orphans, f"{cls.__name__}: config traits no configurable class has: {orphans}"
    return settings


class ConfvalParser(HTMLParser):
    """name -> help text of each ``<dl class="std confval">`` of a Sphinx HTML page."""

    def __init__(self):
        super().__init__()
        self.entries: dict[str, str] = {}
        self._dl_depth = 0
        self._entry_depth = None  # the dl depth of the confval being read
        self._name = self._help = None
        self._in_dt = self._in_headerlink = False
        self._p_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "dl":
            self._dl_depth += 1
            if "confval" in classes and self._entry_depth is None:
                self._entry_depth, self._name, self._help = self._dl_depth, "", []
        elif self._entry_depth is not None:
            if tag == "dt" and self._dl_depth == self._entry_depth:
                self._in_dt = True
            elif tag == "a" and "headerlink" in classes:
                self._in_headerlink = True
            elif tag == "p":
                self._p_depth += 1

    def handle_endtag(self, tag):
        if tag == "dl":
            if self._dl_depth == self._entry_depth:
                self.entries[self._name.strip()] = " ".join("".join(self._help).split())
                self._entry_depth = None
            self._dl_depth -= 1
        elif self._entry_depth is not None:
            if tag == "dt" and self._dl_depth == self._entry_depth:
                self._in_dt = False
            elif tag == "a":
                self._in_headerlink = False
            elif tag == "p":
                self._p_depth -= 1

    def handle_data(self, data):
        if self._entry_depth is None:
            return
        if self._in_dt and not self._in_headerlink:
            self._name += data
        elif self._p_depth:
            self._help.append(data)


def test_reference_lists_exactly_the_config_traits(site):
    out, _ = site
    parser = ConfvalParser()
    parser.feed((out / "admins/config-reference.html").read_text())
    documented = parser.entries
    expected = expected_settings()
    assert len(expected) > 50  # the rule found the project's classes
    missing = sorted(expected - set(documented))
    extra = sorted(set(documented) - expected)
    assert not missing, f"settings missing from docs/admins/config-reference.md: {missing}"
    assert not extra, f"settings documented that the classes do not have: {extra}"
    no_help = sorted(name for name, text in documented.items() if not text)
    assert not no_help, f"settings without help text: {no_help}"


def test_reference_shows_type_default_and_help(site):
    out, _ = site
    page = (out / "admins/config-reference.html").read_text()
    start = page.index('id="confval-c.DatalabService.poll_interval"')
    entry = page[start:page.index("</dl>", page.index("<p>", start))]
    assert "Float" in entry and "2.0" in entry
    assert "Seconds between two status checks" in entry
