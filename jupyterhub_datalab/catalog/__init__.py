"""The catalog: entries users choose from, one model for the hub, the spawners and the service.

An entry is a plain JSON file (see ``catalog/README.md``): an *environment* runs as a
user's server, a *service* as a companion. Its ``options`` are a JSON Schema (draft
2020-12) with a small ``x-datalab`` vocabulary: fr + en labels, defaults taken from a
context (``{{user.email}}``, ``{{region.cpu}}``), hidden/readonly fields, widgets, and
fields an admin may override (bounds, defaults). Everything that reads an entry goes
through this package: loading, the contributors' validator, and the server-side check
of every option a user sends. Its modules:

- ``model``: the format's vocabulary, ``CatalogError``, ``OptionsError`` and ``Entry``;
- ``published``: the published JSON Schema (``catalog.schema.json``) and unknown keywords;
- ``checks`` / ``service_checks``: the validator, file and field in every error;
- ``files``: reading entry files and the shared blocks they include, loading sources;
- ``templates``: ``{{context}}`` defaults and a service's ``{placeholders}``;
- ``options``: a user's options resolved and checked; ``launch``: what they drive;
- ``config``: ``DatalabCatalog``, the catalog as the admin configures it.

Import from the package (``from jupyterhub_datalab.catalog import load``): its modules
are how it is cut, not part of its interface.
"""

from .checks import check_document
from .config import DatalabCatalog
from .files import _include, entry_files, load, read_entry
from .launch import Launch, drives, to_launch
from .model import (CATEGORIES, KINDS, LOCAL_RUNNERS, REQUIRED, SETS, WIDGETS, CatalogError, Entry,
                    OptionsError)
from .options import check_options, fill_defaults, resolve_schema
from .published import shipped_catalog
from .templates import expand, fill_service, service_values

__all__ = [
    "CATEGORIES", "KINDS", "LOCAL_RUNNERS", "REQUIRED", "SETS", "WIDGETS",
    "CatalogError", "DatalabCatalog", "Entry", "Launch", "OptionsError",
    "check_document", "check_options", "drives", "entry_files", "expand", "fill_defaults",
    "fill_service", "load", "read_entry", "resolve_schema", "service_values", "shipped_catalog",
    "to_launch",
    "_include",
]
