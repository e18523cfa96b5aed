"""Moved to :mod:`jupyterhub_datalab.catalog.published`; this name is kept for importers."""

from .catalog.published import SCHEMA_NAME, known_keys, schema, schema_path, unknown_keywords

__all__ = ["SCHEMA_NAME", "known_keys", "schema", "schema_path", "unknown_keywords"]
