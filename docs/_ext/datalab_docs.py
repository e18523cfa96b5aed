"""Sphinx helpers of the datalab documentation.

``datalab-traits`` (a directive): the configuration reference of one class,
generated from its traits, like JupyterHub's reference. In a MyST page::

    ```{datalab-traits} jupyterhub_datalab.catalog.DatalabCatalog
    ```

It documents every ``config=True`` trait that a class of this project defines for
that class: the class's own traits and those of the project's mixins and bases
(``CatalogMixin``, ``CredentialsMixin``...), including project re-definitions of
upstream traits. Traits inherited from upstream classes (JupyterHub's ``Spawner``,
KubeSpawner, OAuthenticator, traitlets' ``Application``) are not repeated: the page
links to their own references. Each trait becomes a ``confval`` named
``c.<Class>.<trait>`` (so ``{confval}`c.DatalabCatalog.sources``` links to it), with
its type, its default and its help text (reStructuredText, as in the code). A
trait with no help text is a warning, so ``sphinx-build -W`` fails on it.
``tests/test_docs.py`` applies the same rule to the package and compares.

Links from a docs page to a file of the repository outside ``docs/`` (e.g.
``../catalog/README.md``) are turned into links to the page that includes that
file (``EXTERNAL_FILES``); any other link leaving ``docs/`` is a warning.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Parser as RSTParser
from docutils.utils import new_document
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from traitlets import Container, Dict, HasTraits, Instance, Type, Union

logger = logging.getLogger(__name__)

PROJECT_PACKAGE = "jupyterhub_datalab"

# repository file (relative to the repository root) -> the docs page that includes it
EXTERNAL_FILES = {
    "catalog/README.md": "contributors/catalog-format",
    "README.md": "admins/embedded",
}


def is_project_class(cls: type) -> bool:
    module = getattr(cls, "__module__", "") or ""
    return module == PROJECT_PACKAGE or module.startswith(PROJECT_PACKAGE + ".")


def project_config_traits(cls: type[HasTraits]) -> dict:
    """name -> trait: the config traits that a project class in ``cls``'s MRO defines
    (the class nearest to ``cls`` that holds the name decides)."""
    found = {}
    for name, trait in cls.class_traits(config=True).items():
        owner = next(klass for klass in cls.__mro__ if name in vars(klass))
        if is_project_class(owner):
            found[name] = trait
    return dict(sorted(found.items()))


def trait_type(trait) -> str:
    """``List(Unicode)``, ``Dict(Unicode, Any)``, ``Union(Unicode, List)``, ``Type(Backend)``."""
    name = type(trait).__name__
    if isinstance(trait, Union):
        return f"{name}({', '.join(trait_type(t) for t in trait.trait_types)})"
    if isinstance(trait, Dict):
        key = getattr(trait, "_key_trait", None)
        value = getattr(trait, "_value_trait", None)
        if key is not None or value is not None:
            inner = [trait_type(key) if key is not None else "Any",
                     trait_type(value) if value is not None else "Any"]
            return f"{name}({', '.join(inner)})"
        return name
    if isinstance(trait, Container):
        inner = getattr(trait, "_trait", None)
        return f"{name}({trait_type(inner)})" if inner is not None else name
    if isinstance(trait, (Instance, Type)):
        klass = trait.klass
        label = klass if isinstance(klass, str) else getattr(klass, "__name__", str(klass))
        return f"{name}({label.rsplit('.', 1)[-1]})"
    return name


def trait_default(cls: type[HasTraits], name: str, trait) -> str:
    """The default as a literal, or words when a method computes it at start."""
    generator = cls._all_trait_default_generators.get(name)
    static = generator is None or (inspect.ismethod(generator) and generator.__self__ is trait)
    if not static:
        return "computed at start (see the text)"
    value = trait.default_value_repr()
    if "`" in value:
        return "(see the text)"
    return f"``{value}``" if value.strip() else "``''``"


class DatalabTraits(SphinxDirective):
    """``datalab-traits <module.Class>``: the class's configuration reference."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        path = self.arguments[0]
        module_name, _, class_name = path.rpartition(".")
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as error:
            logger.warning("datalab-traits: cannot import %s: %s", path, error,
                           location=self.get_location())
            return []
        lines = []
        upstream = [klass for klass in cls.__mro__[1:]
                    if not is_project_class(klass) and klass.__name__ not in
                    ("HasTraits", "HasDescriptors", "object", "LoggingConfigurable",
                     "Configurable", "SingletonConfigurable")]
        if upstream:
            base = upstream[0]
            lines += [(f"Options inherited from ``{base.__module__}.{base.__name__}`` apply"
                       " too; they are documented upstream and not repeated here."), ""]
        traits = project_config_traits(cls)
        if not traits:
            logger.warning("datalab-traits: %s has no config trait of its own", path,
                           location=self.get_location())
        for name, trait in traits.items():
            help_text = inspect.cleandoc(trait.help or "")
            if not help_text:
                logger.warning("datalab-traits: %s.%s has no help text: add help=...",
                               class_name, name, location=self.get_location())
            lines += [
                f".. confval:: c.{class_name}.{name}",
                f"   :type: ``{trait_type(trait)}``",
                f"   :default: {trait_default(cls, name, trait)}",
                "   :no-contents-entry:",
                "",
            ]
            lines += [f"   {line}" if line else "" for line in help_text.splitlines()]
            owner = next(klass for klass in cls.__mro__ if name in vars(klass))
            if owner is not cls:
                lines += ["", f"   *From* ``{owner.__name__}``."]
            lines.append("")
        # help texts are reStructuredText (as in the code), whatever the page's markup
        document = new_document(f"<traits of {path}>", self.state.document.settings)
        document.reporter = self.state.document.reporter
        RSTParser().parse("\n".join(lines), document)
        for node in document.findall(nodes.Element):
            for node_id in node["ids"]:
                self.state.document.ids.setdefault(node_id, node)
        container = nodes.container(classes=["datalab-traits"])
        container.extend(document.children)
        return [container]


def _outside_file(srcdir: Path, docname: str, node) -> Path | None:
    """The file outside ``docs/`` a MyST link points to, or None."""
    target = node.get("reftarget") or ""
    if isinstance(node, addnodes.download_reference):
        candidates = [srcdir / Path(docname).parent / target]
    elif node.get("refdomain") == "doc" and target.startswith("/") and not target.startswith("//"):
        # MyST names a Markdown file outside the source dir by its absolute path
        candidates = [Path(target + ".md"), Path(target)]
    else:
        return None
    for candidate in candidates:
        path = candidate.resolve()
        if path.is_file() and not path.is_relative_to(srcdir):
            return path
    return None


def retarget_external_links(app, doctree) -> None:
    """A link to ``../catalog/README.md`` from a page becomes a link to the page that
    includes it (MyST would otherwise offer the raw file as a download, or fail)."""
    srcdir = Path(app.srcdir).resolve()
    repo = srcdir.parent
    docname = app.env.docname
    links = [*doctree.findall(addnodes.download_reference), *doctree.findall(addnodes.pending_xref)]
    for node in links:
        if node.get("reftype") != "myst":
            continue
        path = _outside_file(srcdir, docname, node)
        if path is None:
            continue
        repo_path = path.relative_to(repo).as_posix() if path.is_relative_to(repo) else None
        page = EXTERNAL_FILES.get(repo_path)
        if page is None:
            logger.warning("link to %s, outside docs/: link a docs page instead, or add the "
                           "file to EXTERNAL_FILES in docs/_ext/datalab_docs.py",
                           node.get("reftarget"), location=node)
            continue
        xref = addnodes.pending_xref(
            "", refdomain="doc", reftype="myst", reftarget=page,
            reftargetid=node.get("reftargetid"), refdoc=docname,
            refexplicit=node.get("refexplicit", True),
        )
        xref += node.children
        node.replace_self(xref)


class DatalabPolicy(SphinxDirective):
    """``datalab-policy <s3|s3-trust|vault|vault-role>``: that policy as
    ``jupyterhub_datalab.policies`` builds it (what ``datalab up`` applies and ``datalab
    policies`` prints), so the guide never spells one by hand. ``:accessor:`` names the
    Vault JWT mount's accessor (default ``<jwt accessor>``)."""

    required_arguments = 1
    option_spec: typing.ClassVar[dict] = {"accessor": str}

    def run(self) -> list[nodes.Node]:
        from jupyterhub_datalab.policies import render

        kind = self.arguments[0]
        try:
            text = render(kind, accessor=self.options.get("accessor", "<jwt accessor>"))
        except ValueError as e:
            logger.warning("datalab-policy: %s", e, location=self.get_location())
            return []
        block = nodes.literal_block(text, text)
        block["language"] = "text" if kind == "vault" else "json"  # {{templates}} defeat the HCL lexer
        return [block]


def setup(app):
    app.add_directive("datalab-traits", DatalabTraits)
    app.add_directive("datalab-policy", DatalabPolicy)
    # before the download collector (priority 500) registers it as a download
    app.connect("doctree-read", retarget_external_links, priority=400)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
