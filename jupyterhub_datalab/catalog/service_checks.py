"""The validator's checks of a companion entry's ``service`` section, and of the
``{...}`` placeholders it and its ``kubernetes`` / ``local`` sections use."""

from __future__ import annotations

from .model import ENV_NAME, FILE_NAME, LOCAL_RUNNERS, SECRET_NAME, CatalogError
from .options import _walk
from .templates import SERVICE_TEMPLATE, SERVICE_VALUES


def _option_paths(options):
    """Dotted paths of every leaf option, ``version`` included."""
    try:
        return {"version"} | {path for path, _ in _walk(options)}
    except (AttributeError, TypeError):  # a malformed schema, reported on its own
        return {"version"}


def _check_templates(value, where, file, errors, secrets, options):
    """``{...}`` placeholders of a service string: known names, declared secrets, real options."""
    for m in SERVICE_TEMPLATE.finditer(value):
        group, rest = m.group(1), m.group(2)
        if rest is None and group in SERVICE_VALUES:
            continue
        if group == "secret" and rest in secrets:
            continue
        if group == "option" and rest in options:
            continue
        if group == "credential" and rest and ENV_NAME.match(rest):
            continue
        if group == "secret":
            why = (f"{{secret.{rest}}} is not declared in service.secrets",
                   f"{{secret.{rest}}} n'est pas déclaré dans service.secrets")
        elif group == "option":
            why = (f"{{option.{rest}}} is not an option of this entry",
                   f"{{option.{rest}}} n'est pas une option de cette entrée")
        else:
            known = (", ".join(f"{{{v}}}" for v in sorted(SERVICE_VALUES))
                     + ", {secret.NAME}, {option.PATH}, {credential.VAR}")
            why = (f"unknown placeholder {m.group(0)}; known: {known}",
                   f"paramètre {m.group(0)} inconnu ; paramètres connus : {known}")
        errors.append(CatalogError(file, where, *why))


def _check_service(doc, file, errors):
    """The ``service`` section of a companion entry, and the placeholders it and its
    ``kubernetes`` / ``local`` sections use."""
    service = doc.get("service")
    if not isinstance(service, dict):
        shape = ('{"port": ..., "ui": ..., "secrets": [...], "connection": {...}, '
                 '"data_path": ..., "ready": {...}}')
        errors.append(CatalogError(file, "service", f"required for a service: {shape}",
                                   f"obligatoire pour un service : {shape}"))
        return
    port = service.get("port")
    if not (isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535):
        errors.append(CatalogError(file, "service.port", "expected the port it listens on (1-65535)",
                                   "attendu : le port sur lequel il écoute (1-65535)"))
    ui = service.get("ui")
    if ui is not None and not (isinstance(ui, dict) and isinstance(ui.get("path"), str)
                               and ui["path"].startswith("/")):
        errors.append(CatalogError(file, "service.ui", 'expected null (no web UI) or {"path": "/..."}',
                                   'attendu : null (pas d\'interface web) ou {"path": "/..."}'))
    secrets = service.get("secrets", [])
    if not (isinstance(secrets, list) and all(isinstance(n, str) and SECRET_NAME.match(n)
                                              for n in secrets)):
        errors.append(CatalogError(file, "service.secrets", "expected a list of names such as "
                                   "'password' (lowercase letters, digits, '_')",
                                   "attendu : une liste de noms comme 'password' (minuscules, "
                                   "chiffres, '_')"))
        secrets = []
    elif len(set(secrets)) != len(secrets):
        errors.append(CatalogError(file, "service.secrets", "a secret is listed twice",
                                   "un secret figure deux fois"))
    options = _option_paths(doc.get("options"))
    connection = service.get("connection", {})
    if not isinstance(connection, dict):
        errors.append(CatalogError(file, "service.connection", "expected {NAME: template}",
                                   "attendu : {NAME: modèle}"))
        connection = {}
    for name, value in connection.items():
        if not ENV_NAME.match(name) or not isinstance(value, str):
            errors.append(CatalogError(file, f"service.connection.{name}",
                                       "expected NAME (capitals) -> string",
                                       "attendu : NAME (majuscules) -> chaîne"))
        else:
            _check_templates(value, f"service.connection.{name}", file, errors, secrets, options)
    token = service.get("client_token")
    if token is not None and not (isinstance(token, str) and ENV_NAME.match(token)):
        errors.append(CatalogError(file, "service.client_token",
                                   "expected the NAME of the variable clients read a bearer token from",
                                   "attendu : le NAME de la variable où les clients lisent un "
                                   "jeton bearer"))
    data_path = service.get("data_path")
    if data_path is not None and not (isinstance(data_path, str) and data_path.startswith("/")):
        errors.append(CatalogError(file, "service.data_path",
                                   "expected null (no data kept) or an absolute path in the image",
                                   "attendu : null (aucune donnée gardée) ou un chemin absolu "
                                   "dans l'image"))
    ready = service.get("ready")
    probes = [k for k in ("tcp", "http", "exec") if isinstance(ready, dict) and k in ready]
    if not (isinstance(ready, dict) and len(probes) == 1 and ready.get("tcp", True) is True
            and (not isinstance(ready.get("http"), str) or ready["http"].startswith("/"))
            and ("http" not in ready or isinstance(ready["http"], str))
            and ("exec" not in ready or (isinstance(ready["exec"], list) and ready["exec"]
                                         and all(isinstance(a, str) for a in ready["exec"])))):
        errors.append(CatalogError(file, "service.ready", 'expected one probe: {"tcp": true}, '
                                   '{"http": "/path"} (under the prefix) or {"exec": [command]}, '
                                   'and optionally "timeout"',
                                   'attendu : une seule sonde, {"tcp": true}, {"http": "/path"} '
                                   '(sous le préfixe) ou {"exec": [commande]}, et au besoin '
                                   '"timeout"'))
    elif "timeout" in ready and not (isinstance(ready["timeout"], (int, float))
                                     and not isinstance(ready["timeout"], bool)
                                     and 1 <= ready["timeout"] <= 600):
        errors.append(CatalogError(file, "service.ready.timeout", "expected seconds, 1 to 600",
                                   "attendu : des secondes, de 1 à 600"))
    paths = service.get("workspace_paths", [])
    if not isinstance(paths, list):
        errors.append(CatalogError(file, "service.workspace_paths", "expected a list of options",
                                   "attendu : une liste d'options"))
        paths = []
    for i, path in enumerate(paths):
        if path not in options:
            errors.append(CatalogError(file, f"service.workspace_paths[{i}]",
                                       f"{path!r} is not an option of this entry",
                                       f"{path!r} n'est pas une option de cette entrée"))
    if isinstance(ready, dict) and isinstance(ready.get("exec"), list):
        for i, arg in enumerate(ready["exec"]):
            if isinstance(arg, str):
                _check_templates(arg, f"service.ready.exec[{i}]", file, errors, secrets, options)
    for section in ("kubernetes", "local"):
        part = doc.get(section)
        if not isinstance(part, dict):
            continue
        for key in ("cmd", "args"):
            for i, arg in enumerate(part.get(key) or []):
                if isinstance(arg, str):
                    _check_templates(arg, f"{section}.{key}[{i}]", file, errors, secrets, options)
        env = part.get("env")
        for name, value in (env.items() if isinstance(env, dict) else ()):
            if isinstance(value, str):
                _check_templates(value, f"{section}.env.{name}", file, errors, secrets, options)
    local = doc.get("local")
    if isinstance(local, dict) and not local.get("unavailable"):
        runner = local.get("runner", "command")
        if runner not in LOCAL_RUNNERS:
            errors.append(CatalogError(file, "local.runner",
                                       f"expected one of {', '.join(LOCAL_RUNNERS)}",
                                       f"attendu : l'un de {', '.join(LOCAL_RUNNERS)}"))
        elif runner == "command" and "cmd" not in local:
            errors.append(CatalogError(file, "local.cmd", "the command runner needs a cmd",
                                   "le runner command a besoin d'un cmd"))
        if local.get("listen", "tcp") not in ("tcp", "unix"):
            errors.append(CatalogError(file, "local.listen", 'expected "tcp" (a loopback port, '
                                       'for servers with a password) or "unix" (a socket only '
                                       'the proxy reaches: {socket})',
                                       'attendu : "tcp" (un port de loopback, pour les serveurs '
                                       'protégés par un mot de passe) ou "unix" (une socket que '
                                       'seul le proxy atteint : {socket})'))
        elif local.get("listen") == "unix" and not service.get("ui"):
            errors.append(CatalogError(file, "local.listen", '"unix" is for web UIs: clients '
                                       'reach them through the proxy (service.ui)',
                                       '"unix" est réservé aux interfaces web : les clients les '
                                       'atteignent par le proxy (service.ui)'))
        files = local.get("files", {})
        if not isinstance(files, dict):
            errors.append(CatalogError(file, "local.files", "expected {file name: template}",
                                   "attendu : {nom de fichier: modèle}"))
            files = {}
        for name, value in files.items():
            if not FILE_NAME.match(name) or not isinstance(value, str):
                errors.append(CatalogError(file, f"local.files.{name}",
                                           "expected a plain file name -> text",
                                           "attendu : un simple nom de fichier -> texte"))
            else:
                _check_templates(value, f"local.files.{name}", file, errors, secrets, options)
