"""A user's options: the entry's schema resolved for them (context defaults, admin
overrides) and the one server-side check of what they send, forms and REST API alike."""

from __future__ import annotations

import copy

from jsonschema import Draft202012Validator

from .model import OptionsError
from .templates import expand


def _walk(schema, path=""):
    """(dotted path, property schema) of every leaf option."""
    for name, prop in (schema.get("properties") or {}).items():
        here = f"{path}.{name}" if path else name
        if prop.get("type") == "object":
            yield from _walk(prop, here)
        else:
            yield here, prop


def resolve_schema(entry, context, overrides=None):
    """The entry's option schema for one user: context defaults, admin overrides, closed objects."""
    schema = copy.deepcopy(entry.options)
    overrides = overrides or {}

    def visit(node):
        if node.get("type") == "object":
            node["additionalProperties"] = False
            for prop in (node.get("properties") or {}).values():
                visit(prop)
            return
        x = node.get("x-datalab", {})
        if "default" in x:
            value = expand(x["default"], context)
            if value is not None and value != "":
                node["default"] = value
            node.setdefault("default", "" if node.get("type") == "string" else None)
        if x.get("admin") in overrides:
            for key, value in overrides[x["admin"]].items():
                node[key] = expand(value, context) if isinstance(value, str) else value
        # keep the default inside admin bounds
        if isinstance(node.get("default"), (int, float)) and not isinstance(node["default"], bool):
            if "maximum" in node and node["default"] > node["maximum"]:
                node["default"] = node["maximum"]
            if "minimum" in node and node["default"] < node["minimum"]:
                node["default"] = node["minimum"]

    visit(schema)
    return schema


def _messages(error, field):
    """(en, fr) for a jsonschema error, in words a person acts on."""
    v, kind = error.validator_value, error.validator
    if kind == "maximum":
        return f"{error.instance} is above the maximum {v}", f"{error.instance} dépasse le maximum {v}"
    if kind == "minimum":
        return f"{error.instance} is below the minimum {v}", f"{error.instance} est sous le minimum {v}"
    if kind == "enum":
        allowed = ", ".join(map(str, v))
        return (f"{error.instance!r} is not one of: {allowed}",
                f"{error.instance!r} ne fait pas partie de : {allowed}")
    if kind == "type":
        return f"expected a {v}, got {error.instance!r}", f"attendu : {v}, reçu {error.instance!r}"
    if kind == "additionalProperties":
        extra = ", ".join(sorted(set(error.instance) - set(error.schema.get("properties", {}))))
        return f"unknown option {extra}", f"option inconnue {extra}"
    if kind == "maxLength":
        return f"at most {v} characters", f"{v} caractères au plus"
    if kind == "pattern":
        return f"does not match {v}", f"ne correspond pas au format {v}"
    return error.message, error.message


def fill_defaults(schema, value):
    """The options with every missing field set to its default (a new dict)."""
    out = dict(value) if isinstance(value, dict) else value
    if schema.get("type") != "object" or not isinstance(out, dict):
        return out
    for name, prop in (schema.get("properties") or {}).items():
        if prop.get("type") == "object":
            out[name] = fill_defaults(prop, out.get(name, {}))
        elif name not in out and "default" in prop:
            out[name] = copy.deepcopy(prop["default"])
    return out


def _get(options, dotted):
    value = options
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None, False
        value = value[part]
    return value, True


def check_options(entry, options, context, overrides=None):
    """The user's options completed and validated, or OptionsError naming the field.

    The one check for every way a server is started: form posts and the REST API.
    """
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise OptionsError("expected an object of options", fr="un objet d'options est attendu", field="options")
    schema = resolve_schema(entry, context, overrides)
    for path, prop in _walk(schema):
        x = prop.get("x-datalab", {})
        value, given = _get(options, path)
        if (x.get("hidden") or x.get("readonly")) and given and value != prop.get("default"):
            raise OptionsError("this option is set by the platform and cannot be changed",
                               fr="cette option est fixée par la plateforme et ne peut pas être changée",
                               field=path)
    completed = fill_defaults(schema, options)
    errors = sorted(Draft202012Validator(schema).iter_errors(completed),
                    key=lambda e: (len(e.path), list(map(str, e.path))))
    if errors:
        error = errors[0]
        where = ".".join(str(p) for p in error.absolute_path) or "options"
        en, fr = _messages(error, where)
        raise OptionsError(en, fr=fr, field=where)
    return completed
