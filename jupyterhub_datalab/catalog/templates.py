"""Templates in entries: ``{{user.email}}`` context defaults of options, and the
``{port}``, ``{secret.password}``, ``{option.database}`` placeholders of a service,
filled when it is launched."""

from __future__ import annotations

import re

# ``{port}``, ``{secret.password}``, ``{option.database}``: filled when a service is launched
SERVICE_TEMPLATE = re.compile(r"(?<!\{)\{([a-z_]+)(?:\.([A-Za-z0-9_.-]+))?\}(?!\})")
SERVICE_VALUES = {"host", "port", "prefix", "owner", "name", "namespace", "data", "run",
                  "workspace", "socket", "url"}
SERVICE_GROUPS = {"secret", "option", "credential"}
TEMPLATE = re.compile(r"\{\{\s*([a-z_][a-z0-9_.]*)\s*\}\}")


def _lookup(context, dotted):
    value = context
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def expand(template, context):
    """``{{user.email}}`` -> the context's value; a whole-string template keeps its type."""
    whole = TEMPLATE.fullmatch(template.strip())
    if whole:
        return _lookup(context, whole.group(1))
    return TEMPLATE.sub(lambda m: str(_lookup(context, m.group(1)) or ""), template)


def fill_service(template, values):
    """A service string with its placeholders filled: ``{port}``, ``{secret.password}``...

    ``values`` maps ``port`` -> 5432, ``secret.password`` -> "...", ``option.database`` ->
    "datalab"; a placeholder without a value raises KeyError naming it."""
    def one(m):
        key = m.group(1) + (f".{m.group(2)}" if m.group(2) else "")
        if key not in values:
            raise KeyError(key)
        value = values[key]
        return str(value).lower() if isinstance(value, bool) else str(value)

    return SERVICE_TEMPLATE.sub(one, template)


def service_values(options, secrets=(), credentials=None, **values):
    """The placeholder values of one launch, flattened: ``option.<path>``, ``secret.<name>``,
    ``credential.<VAR>``, plus ``values`` (host, port, prefix, owner...)."""
    out = {k: v for k, v in values.items() if v is not None}
    if "url" not in values and out.get("host") and out.get("port"):
        out["url"] = f"http://{out['host']}:{out['port']}{out.get('prefix', '')}"

    def flat(value, prefix):
        if isinstance(value, dict):
            for k, v in value.items():
                flat(v, f"{prefix}.{k}")
        else:
            out[prefix] = value

    for k, v in (options or {}).items():
        flat(v, f"option.{k}")
    for k, v in dict(secrets).items():
        out[f"secret.{k}"] = v
    for k, v in (credentials or {}).items():
        out[f"credential.{k}"] = v
    return out
