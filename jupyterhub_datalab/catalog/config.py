"""The catalog as the admin configures it (``c.DatalabCatalog``): sources, access
rules, option overrides and region values, shared by the spawners and the service."""

from __future__ import annotations

import difflib
import fnmatch
import typing
from pathlib import Path

from traitlets import Dict, List, TraitError, Unicode, default, validate
from traitlets.config import LoggingConfigurable

from .files import entry_files, load
from .launch import to_launch
from .model import OptionsError
from .options import check_options, resolve_schema
from .published import known_keys, shipped_catalog


class DatalabCatalog(LoggingConfigurable):
    """The catalog as configured by the admin, shared by spawners and the datalab service."""

    sources = List(
        Unicode(), config=True,
        help="""Directories (or files) of catalog entries, read in order; an id may appear
        only once across them. Default: the catalog shipped with jupyterhub-datalab.
        Example: ``["/srv/datalab/catalog", "/srv/datalab/catalog-local"]``.""",
    )

    @default("sources")
    def _default_sources(self):
        return [shipped_catalog()]

    access = Dict(
        config=True,
        help="""Entries restricted to some users, by id. A user may use a restricted entry
        if they are in one of its ``groups`` (projects) or one of its ``claims`` patterns
        matches their login's claims (shell-style wildcards). Others do not see it and
        cannot start it, whatever they post. Example::

            {"jupyter-pytorch-gpu": {"groups": ["gpu"], "claims": {"email": "*@insee.fr"}}}
        """,
    )

    @validate("access")
    def _check_access(self, proposal):
        for entry_id, rule in proposal["value"].items():
            if not isinstance(rule, dict) or set(rule) - {"groups", "claims"}:
                raise TraitError(f"DatalabCatalog.access[{entry_id!r}]: expected "
                                 '{"groups": [...], "claims": {"claim": "pattern"}}')
        return proposal["value"]

    option_overrides = Dict(
        config=True,
        help="""Admin overrides of options, by the name options give in ``x-datalab.admin``:
        JSON Schema keywords merged into each such option (bounds, defaults, enums). Values
        may be context templates. Example: ``{"cpu": {"maximum": 8, "default": 2},
        "memory": {"maximum": 32}, "gpu": {"maximum": 1}}``.""",
    )

    @validate("option_overrides")
    def _check_option_overrides(self, proposal):
        """A misspelt keyword (``maxmum``) would drop the admin's bound without a word: refuse it
        at start, as the catalog validator refuses one in an entry."""
        known = sorted(known_keys("option") - {"properties", "x-datalab"})
        for name, override in proposal["value"].items():
            if not isinstance(override, dict):
                raise TraitError(f"DatalabCatalog.option_overrides[{name!r}]: expected JSON Schema "
                                 f'keywords, e.g. {{"maximum": 8}}, not {override!r}')
            for key in sorted(set(override) - set(known)):
                near = difflib.get_close_matches(key, known, n=1)
                hint = f"did you mean {near[0]!r}?" if near else f"known: {', '.join(known)}"
                raise TraitError(f"DatalabCatalog.option_overrides[{name!r}]: unknown keyword "
                                 f"{key!r}; {hint}")
        return proposal["value"]

    region = Dict(
        config=True,
        help="""Values options take defaults from, as ``{{region.<key>}}``, like Onyxia's
        region settings. Example: ``{"cpu": 1, "memory": 4, "disk": 10}``.""",
    )

    _loaded: typing.ClassVar[dict] = {}  # sources -> (files' mtimes, entries, errors), shared by every spawner

    def load(self):
        """(entries, errors), re-read when a file changed, so admins add entries live."""
        key = tuple(self.sources)
        stamp = tuple((str(p), p.stat().st_mtime_ns) for s in key if Path(s).exists()
                      for p in entry_files(s))
        cached = self._loaded.get(key)
        if cached is None or cached[0] != stamp:
            entries, errors = load(key)
            for error in errors:
                self.log.error("Catalog entry left out: %s", error)
            cached = self._loaded[key] = (stamp, entries, errors)
        return cached[1], cached[2]

    def entries(self, kind=None):
        entries, _ = self.load()
        return [e for e in entries.values() if kind is None or e.kind == kind]

    def get(self, entry_id):
        return self.load()[0].get(entry_id)

    def allowed(self, entry, groups, claims=None):
        rule = self.access.get(entry.id)
        if not rule:
            return True
        if set(rule.get("groups", [])) & set(groups):
            return True
        for claim, pattern in (rule.get("claims") or {}).items():
            values = (claims or {}).get(claim)
            values = values if isinstance(values, list) else [values]
            if any(isinstance(v, str) and fnmatch.fnmatchcase(v, pattern) for v in values):
                return True
        return False

    def context(self, username, groups=(), email=""):
        groups = sorted(groups)
        return {"user": {"name": username, "email": email or "", "projects": groups,
                         "project": groups[0] if groups else ""},
                "region": dict(self.region)}

    def schema(self, entry, context):
        return resolve_schema(entry, context, self.option_overrides)

    def launch(self, entry_id, options, *, username, groups=(), claims=None, kind="environment"):
        """Check a user's request (entry + options) and return the Launch, or OptionsError."""
        entry = self.get(entry_id) if isinstance(entry_id, str) else None
        if entry is None or entry.kind != kind or not self.allowed(entry, groups, claims):
            raise OptionsError(f"no such {kind} in the catalog: {entry_id!r}",
                               fr=f"cette entrée n'existe pas dans le catalogue : {entry_id!r}", field="entry")
        context = self.context(username, groups, (claims or {}).get("email", ""))
        checked = check_options(entry, options, context, self.option_overrides)
        return to_launch(entry, checked)
