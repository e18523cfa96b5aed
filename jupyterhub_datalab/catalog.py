"""The catalog: entries users choose from, one model for the hub, the spawners and the service.

An entry is a plain JSON file (see ``catalog/README.md``): an *environment* runs as a
user's server, a *service* as a companion. Its ``options`` are a JSON Schema (draft
2020-12) with a small ``x-datalab`` vocabulary: fr + en labels, defaults taken from a
context (``{{user.email}}``, ``{{region.cpu}}``), hidden/readonly fields, widgets, and
fields an admin may override (bounds, defaults). Everything that reads an entry goes
through this module: loading, the contributors' validator, and the server-side check
of every option a user sends.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
import shutil
import typing
from dataclasses import dataclass, field
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError
from traitlets import Dict, List, TraitError, Unicode, default, validate
from traitlets.config import LoggingConfigurable

from .catalog_schema import schema as published_schema
from .catalog_schema import shipped_catalog, unknown_keywords
from .i18n import LANGUAGES

KINDS = ("environment", "service")
CATEGORIES = {
    "ide": {"en": "IDEs", "fr": "Environnements de développement"},
    "data-science": {"en": "Data science", "fr": "Science des données"},
    "gpu": {"en": "GPU", "fr": "GPU"},
    "training": {"en": "Trainings", "fr": "Formations"},
    "database": {"en": "Databases", "fr": "Bases de données"},
    "machine-learning": {"en": "Machine learning", "fr": "Apprentissage automatique"},
    "app": {"en": "Apps", "fr": "Applications"},
}
# what an option can drive: resources of the server, the credentials it gets, or a variable
SETS = ("version", "cpu", "memory", "gpu", "disk", "s3", "vault")
WIDGETS = ("slider", "select", "toggle", "text", "textarea", "password")
# the keys an entry may have are those of the published schema (catalog_schema.py)
REQUIRED = tuple(published_schema()["required"])
LOCAL_RUNNERS = ("command", "postgresql")
GIT_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]+)?/[^\s]*$")
GIT_REF = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}$")
SECRET_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
# ``{port}``, ``{secret.password}``, ``{option.database}``: filled when a service is launched
SERVICE_TEMPLATE = re.compile(r"(?<!\{)\{([a-z_]+)(?:\.([A-Za-z0-9_.-]+))?\}(?!\})")
SERVICE_VALUES = {"host", "port", "prefix", "owner", "name", "namespace", "data", "run",
                  "workspace", "socket", "url"}
SERVICE_GROUPS = {"secret", "option", "credential"}
ID = re.compile(r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
IMAGE_NAME = re.compile(r"^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
TEMPLATE = re.compile(r"\{\{\s*([a-z_][a-z0-9_.]*)\s*\}\}")


class CatalogError(ValueError):
    """A problem in a catalog file: which file, which field, what is expected."""

    def __init__(self, file, path, message):
        self.file, self.path, self.message = str(file), path, message
        super().__init__(f"{self.file}: {path or '(file)'}: {message}")


class OptionsError(ValueError):
    """A user's option is refused; ``field`` names it, the message says what is allowed."""

    def __init__(self, field, en, fr=None):
        self.field, self.en, self.fr = field, en, fr or en
        super().__init__(f"{field}: {en}" if field else en)


@dataclass(frozen=True)
class Entry:
    """One catalog entry, as loaded and checked from its file."""

    id: str
    kind: str
    name: dict
    description: dict
    icon: str
    category: str
    image: str
    versions: tuple
    options: dict  # the JSON Schema, with the ``version`` property added
    kubernetes: dict = field(default_factory=dict)
    local: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    source: str = ""
    service: dict = field(default_factory=dict)  # kind "service": port, ui, secrets, connection...

    def text(self, what, lang="en"):
        values = getattr(self, what)
        return values.get(lang) or values["en"]

    def image_ref(self, version=None):
        return f"{self.image}:{version or self.versions[0]}"

    def local_unavailable(self, which=shutil.which):
        """Why this entry cannot run with local processes here ({en, fr}), or None.

        ``which`` finds a command (the companions' local backend also looks in the
        packages that bundle binaries)."""
        if not self.local or self.local.get("unavailable"):
            return self.local.get("unavailable") or {
                "en": "This entry has no local mode: it runs on Kubernetes only.",
                "fr": "Cette entrée n'a pas de mode local : elle ne tourne que sur Kubernetes."}
        for need in self.local.get("requires", []):
            if not which(need["command"]):
                return dict(need["hint"])
        return None


@dataclass
class Launch:
    """An entry with a user's options, checked and completed: what a spawner starts."""

    entry: Entry
    options: dict
    version: str
    cpu: float | None = None
    memory: float | None = None  # GiB
    gpu: int = 0
    disk: int | None = None  # GiB
    s3: bool = True
    vault: bool = True
    env: dict = field(default_factory=dict)
    # the owner's injected secrets, set by whoever starts it: backends pass them only by
    # reference (a Kubernetes Secret) or in the process environment, never on a command line
    secret_env: dict = field(default_factory=dict)

    @property
    def image(self):
        return self.entry.image_ref(self.version)


# -- loading and checking files -------------------------------------------------------


def _localized(doc, key, file, errors, where=None):
    where = where or key
    value = doc.get(key)
    if not isinstance(value, dict):
        errors.append(CatalogError(file, where, 'expected {"en": "...", "fr": "..."}'))
        return
    for lang in LANGUAGES:
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            errors.append(CatalogError(file, f"{where}.{lang}", f"missing the {lang} translation"))


def _check_option(prop, path, file, errors):
    """The x-datalab vocabulary of one property, and its sub-properties."""
    x = prop.get("x-datalab", {})
    if not isinstance(x, dict):
        errors.append(CatalogError(file, f"{path}.x-datalab", "expected an object"))
        x = {}
    if "label" in x or prop.get("type") != "object":
        _localized(x, "label", file, errors, f"{path}.x-datalab.label")
    if "help" in x:
        _localized(x, "help", file, errors, f"{path}.x-datalab.help")
    sets = x.get("sets")
    if sets is not None and sets not in SETS and not (
            isinstance(sets, str) and sets.startswith("env:") and ENV_NAME.match(sets[4:])):
        errors.append(CatalogError(file, f"{path}.x-datalab.sets",
                                   f"expected one of {', '.join(SETS)} or env:NAME (NAME in "
                                   f"capitals), got {sets!r}"))
    if "widget" in x and x["widget"] not in WIDGETS:
        errors.append(CatalogError(file, f"{path}.x-datalab.widget",
                                   f"expected one of {', '.join(WIDGETS)}"))
    if x.get("widget") == "slider" and not {"minimum", "maximum"} <= set(prop):
        errors.append(CatalogError(file, f"{path}", "a slider needs minimum and maximum"))
    if "default" in x and (not isinstance(x["default"], str) or not TEMPLATE.search(x["default"])):
        errors.append(CatalogError(file, f"{path}.x-datalab.default",
                                   "expected a context template such as '{{user.email}}'"))
    if prop.get("type") == "object":
        for name, sub in (prop.get("properties") or {}).items():
            if not isinstance(sub, dict):
                errors.append(CatalogError(file, f"{path}.{name}", "expected a schema object"))
                continue
            _check_option(sub, f"{path}.{name}", file, errors)
    elif "default" not in prop and "default" not in x:
        errors.append(CatalogError(file, path, "every option needs a default"))
    else:
        try:
            if "default" in prop:
                Draft202012Validator({k: v for k, v in prop.items() if k != "x-datalab"}).validate(
                    prop["default"])
        except ValidationError as e:
            errors.append(CatalogError(file, f"{path}.default", f"default is not valid: {e.message}"))


def check_document(doc, file, origins=None):
    """Every problem of one entry document, as CatalogErrors (empty list: fine).

    ``origins``: where shared blocks were included (see ``_include``), so that an unknown
    keyword is reported in the block's file."""
    if not isinstance(doc, dict):
        return [CatalogError(file, "", "expected a JSON object")]
    errors = [CatalogError(where or file, path, message)
              for where, path, message in unknown_keywords(doc, origins)]
    for key in REQUIRED:
        if key not in doc:
            errors.append(CatalogError(file, key, "required field is missing"))
    if "id" in doc and not (isinstance(doc["id"], str) and ID.match(doc["id"])):
        errors.append(CatalogError(file, "id", "expected lowercase letters, digits and '-' "
                                   "(at most 40), e.g. 'jupyter-python'"))
    if "kind" in doc and doc["kind"] not in KINDS:
        errors.append(CatalogError(file, "kind", f"expected one of {', '.join(KINDS)}"))
    for key in ("name", "description"):
        if key in doc:
            _localized(doc, key, file, errors)
    if "category" in doc and doc["category"] not in CATEGORIES:
        errors.append(CatalogError(file, "category", f"expected one of {', '.join(CATEGORIES)}"))
    if "icon" in doc and not (isinstance(doc["icon"], str) and doc["icon"].strip()):
        errors.append(CatalogError(file, "icon", "expected an icon name, an https:// or data: URL"))
    image = doc.get("image")
    if "image" in doc:
        if not isinstance(image, dict):
            errors.append(CatalogError(file, "image", 'expected {"name": ..., "versions": [...]}'))
        else:
            name = image.get("name")
            if not isinstance(name, str) or ":" in name.rsplit("/", 1)[-1] or "@" in name:
                errors.append(CatalogError(file, "image.name", "expected an image name without "
                                           "tag (tags go in image.versions)"))
            elif not IMAGE_NAME.match(name):
                errors.append(CatalogError(file, "image.name", f"{name!r} is not an image name"))
            versions = image.get("versions")
            if not isinstance(versions, list) or not versions:
                errors.append(CatalogError(file, "image.versions",
                                           "expected at least one tag, the default first"))
            else:
                for i, tag in enumerate(versions):
                    if not isinstance(tag, str) or not TAG.match(tag):
                        errors.append(CatalogError(file, f"image.versions[{i}]",
                                                   f"{tag!r} is not an image tag"))
                    elif tag == "latest":
                        errors.append(CatalogError(file, f"image.versions[{i}]",
                                                   "'latest' moves under users: pin a version"))
                if len(set(map(str, versions))) != len(versions):
                    errors.append(CatalogError(file, "image.versions", "a tag is listed twice"))
    options = doc.get("options")
    if "options" in doc:
        if not isinstance(options, dict) or options.get("type") != "object":
            errors.append(CatalogError(file, "options", 'expected a JSON Schema {"type": "object", ...}'))
        else:
            try:
                Draft202012Validator.check_schema(options)
            except SchemaError as e:
                where = ".".join(str(p) for p in e.path)
                errors.append(CatalogError(file, f"options.{where}".rstrip("."),
                                           f"not a valid JSON Schema: {e.message}"))
            else:
                if "version" in (options.get("properties") or {}):
                    errors.append(CatalogError(file, "options.version",
                                               "reserved: versions come from image.versions"))
                _check_option(options, "options", file, errors)
    for key in ("kubernetes", "local"):
        section = doc.get(key)
        if section is None:
            continue
        if not isinstance(section, dict):
            errors.append(CatalogError(file, key, "expected an object"))
            continue
        if "cmd" in section and not (isinstance(section["cmd"], list) and section["cmd"]
                                     and all(isinstance(a, str) for a in section["cmd"])):
            errors.append(CatalogError(file, f"{key}.cmd", "expected a list of strings"))
        for name, value in (section.get("env") or {}).items():
            if not ENV_NAME.match(name) or not isinstance(value, str):
                errors.append(CatalogError(file, f"{key}.env.{name}",
                                           "expected NAME (capitals) -> string"))
    local = doc.get("local")
    if isinstance(local, dict):
        if "unavailable" in local:
            _localized(local, "unavailable", file, errors, "local.unavailable")
        for i, need in enumerate(local.get("requires", [])):
            if not isinstance(need, dict) or not isinstance(need.get("command"), str):
                errors.append(CatalogError(file, f"local.requires[{i}]",
                                           'expected {"command": ..., "hint": {"en", "fr"}}'))
            else:
                _localized(need, "hint", file, errors, f"local.requires[{i}].hint")
    if doc.get("kind") == "service":
        _check_service(doc, file, errors)
    elif "service" in doc:
        errors.append(CatalogError(file, "service", "only entries of kind 'service' have this section"))
    _check_training(doc, file, errors)
    return errors


def _check_training(doc, file, errors):
    """The ``training`` section: where the material comes from and which notebook opens.

    ``{"material": {"path": "<folder beside the entry>"} or {"git": "https://...", "ref": "main"},
    "open": {"en": "first-steps.en.ipynb", "fr": "premiers-pas.fr.ipynb"}}``
    """
    training = doc.get("training")
    if training is None:
        if doc.get("kind") == "environment" and doc.get("category") == "training":
            errors.append(CatalogError(file, "training", "required for an environment of category "
                                       "'training': {\"material\": ..., \"open\": {\"en\": ..., \"fr\": ...}}"))
        return
    if doc.get("kind") != "environment":
        errors.append(CatalogError(file, "training", "only entries of kind 'environment' have this section"))
        return
    if not isinstance(training, dict):
        errors.append(CatalogError(file, "training", 'expected {"material": ..., "open": {"en": ..., "fr": ...}}'))
        return
    material, folder = training.get("material"), None
    if material is None:
        errors.append(CatalogError(file, "training.material", 'required: {"path": "<folder beside '
                                   'the entry>"} or {"git": "https://...", "ref": "<branch or tag>"}'))
    elif not isinstance(material, dict) or len({"path", "git"} & set(material)) != 1:
        errors.append(CatalogError(file, "training.material", 'expected one source: {"path": ...} '
                                   'or {"git": "https://...", "ref": ...}'))
    else:
        known = {"path"} if "path" in material else {"git", "ref"}
        for key in sorted(set(material) - known):
            errors.append(CatalogError(file, f"training.material.{key}",
                                       f"unknown key; known: {', '.join(sorted(known))}"))
        if "path" in material:
            folder = _material_folder(material["path"], file, errors)
        else:
            url = material["git"]
            if not (isinstance(url, str) and GIT_URL.match(url)):
                errors.append(CatalogError(file, "training.material.git",
                                           "expected an https:// URL of a git repository"))
            if "ref" in material and not (isinstance(material["ref"], str) and GIT_REF.match(material["ref"])):
                errors.append(CatalogError(file, "training.material.ref",
                                           "expected a branch or tag name (letters, digits, . _ / -)"))
    notebooks = training.get("open")
    if not isinstance(notebooks, dict):
        errors.append(CatalogError(file, "training.open", 'expected the notebook opened first per '
                                   'language: {"en": "x.en.ipynb", "fr": "x.fr.ipynb"}'))
        return
    for lang in LANGUAGES:
        name = notebooks.get(lang)
        where = f"training.open.{lang}"
        if name is None:
            errors.append(CatalogError(file, where, f"missing the {lang} notebook"))
        elif not (isinstance(name, str) and name.endswith(".ipynb") and not name.startswith("/")
                  and all(part not in ("", ".", "..") for part in name.split("/"))):
            errors.append(CatalogError(file, where, "expected a notebook (.ipynb) path inside the "
                                       "material, e.g. 'first-steps.en.ipynb'"))
        elif folder is not None and not (folder / name).is_file():
            errors.append(CatalogError(file, where, f"{name!r} is not in the material ({folder})"))


def _material_folder(path, file, errors):
    """The material folder of a ``{"path": ...}`` source, or None (an error said why)."""
    where = "training.material.path"
    if not isinstance(path, str) or not path.strip() or path.startswith("/") or "\\" in path:
        errors.append(CatalogError(file, where, "expected a folder relative to the entry file, "
                                   "e.g. 'first-steps'"))
        return None
    base = Path(file).resolve().parent
    folder = (base / path).resolve()
    if folder == base or not folder.is_relative_to(base):
        errors.append(CatalogError(file, where, f"{path!r} leaves the entry's folder ({base}): "
                                   "material lives in a folder beside the entry"))
        return None
    if not folder.is_dir():
        errors.append(CatalogError(file, where, f"no such folder: {folder}"))
        return None
    stray = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.json")
                   if not any(part.startswith(".") for part in p.relative_to(folder).parts))
    if stray:
        errors.append(CatalogError(file, where, f"holds .json files ({', '.join(stray[:3])}) that "
                                   "the catalog would read as entries: rename them or use git material"))
    return folder


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
            why = f"{{secret.{rest}}} is not declared in service.secrets"
        elif group == "option":
            why = f"{{option.{rest}}} is not an option of this entry"
        else:
            why = (f"unknown placeholder {m.group(0)}; known: "
                   + ", ".join(f"{{{v}}}" for v in sorted(SERVICE_VALUES))
                   + ", {secret.NAME}, {option.PATH}, {credential.VAR}")
        errors.append(CatalogError(file, where, why))


def _check_service(doc, file, errors):
    """The ``service`` section of a companion entry, and the placeholders it and its
    ``kubernetes`` / ``local`` sections use."""
    service = doc.get("service")
    if not isinstance(service, dict):
        errors.append(CatalogError(file, "service", 'required for a service: {"port": ..., '
                                   '"ui": ..., "secrets": [...], "connection": {...}, '
                                   '"data_path": ..., "ready": {...}}'))
        return
    port = service.get("port")
    if not (isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535):
        errors.append(CatalogError(file, "service.port", "expected the port it listens on (1-65535)"))
    ui = service.get("ui")
    if ui is not None and not (isinstance(ui, dict) and isinstance(ui.get("path"), str)
                               and ui["path"].startswith("/")):
        errors.append(CatalogError(file, "service.ui", 'expected null (no web UI) or {"path": "/..."}'))
    secrets = service.get("secrets", [])
    if not (isinstance(secrets, list) and all(isinstance(n, str) and SECRET_NAME.match(n)
                                              for n in secrets)):
        errors.append(CatalogError(file, "service.secrets", "expected a list of names such as "
                                   "'password' (lowercase letters, digits, '_')"))
        secrets = []
    elif len(set(secrets)) != len(secrets):
        errors.append(CatalogError(file, "service.secrets", "a secret is listed twice"))
    options = _option_paths(doc.get("options"))
    connection = service.get("connection", {})
    if not isinstance(connection, dict):
        errors.append(CatalogError(file, "service.connection", "expected {NAME: template}"))
        connection = {}
    for name, value in connection.items():
        if not ENV_NAME.match(name) or not isinstance(value, str):
            errors.append(CatalogError(file, f"service.connection.{name}",
                                       "expected NAME (capitals) -> string"))
        else:
            _check_templates(value, f"service.connection.{name}", file, errors, secrets, options)
    token = service.get("client_token")
    if token is not None and not (isinstance(token, str) and ENV_NAME.match(token)):
        errors.append(CatalogError(file, "service.client_token",
                                   "expected the NAME of the variable clients read a bearer token from"))
    data_path = service.get("data_path")
    if data_path is not None and not (isinstance(data_path, str) and data_path.startswith("/")):
        errors.append(CatalogError(file, "service.data_path",
                                   "expected null (no data kept) or an absolute path in the image"))
    ready = service.get("ready")
    probes = [k for k in ("tcp", "http", "exec") if isinstance(ready, dict) and k in ready]
    if not (isinstance(ready, dict) and len(probes) == 1 and ready.get("tcp", True) is True
            and (not isinstance(ready.get("http"), str) or ready["http"].startswith("/"))
            and ("http" not in ready or isinstance(ready["http"], str))
            and ("exec" not in ready or (isinstance(ready["exec"], list) and ready["exec"]
                                         and all(isinstance(a, str) for a in ready["exec"])))):
        errors.append(CatalogError(file, "service.ready", 'expected one probe: {"tcp": true}, '
                                   '{"http": "/path"} (under the prefix) or {"exec": [command]}, '
                                   'and optionally "timeout"'))
    elif "timeout" in ready and not (isinstance(ready["timeout"], (int, float))
                                     and not isinstance(ready["timeout"], bool)
                                     and 1 <= ready["timeout"] <= 600):
        errors.append(CatalogError(file, "service.ready.timeout", "expected seconds, 1 to 600"))
    paths = service.get("workspace_paths", [])
    if not isinstance(paths, list):
        errors.append(CatalogError(file, "service.workspace_paths", "expected a list of options"))
        paths = []
    for i, path in enumerate(paths):
        if path not in options:
            errors.append(CatalogError(file, f"service.workspace_paths[{i}]",
                                       f"{path!r} is not an option of this entry"))
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
                                       f"expected one of {', '.join(LOCAL_RUNNERS)}"))
        elif runner == "command" and "cmd" not in local:
            errors.append(CatalogError(file, "local.cmd", "the command runner needs a cmd"))
        if local.get("listen", "tcp") not in ("tcp", "unix"):
            errors.append(CatalogError(file, "local.listen", 'expected "tcp" (a loopback port, '
                                       'for servers with a password) or "unix" (a socket only '
                                       'the proxy reaches: {socket})'))
        elif local.get("listen") == "unix" and not service.get("ui"):
            errors.append(CatalogError(file, "local.listen", '"unix" is for web UIs: clients '
                                       'reach them through the proxy (service.ui)'))
        files = local.get("files", {})
        if not isinstance(files, dict):
            errors.append(CatalogError(file, "local.files", "expected {file name: template}"))
            files = {}
        for name, value in files.items():
            if not FILE_NAME.match(name) or not isinstance(value, str):
                errors.append(CatalogError(file, f"local.files.{name}",
                                           "expected a plain file name -> text"))
            else:
                _check_templates(value, f"local.files.{name}", file, errors, secrets, options)


def _read_json(path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8")), []
    except json.JSONDecodeError as e:
        return None, [CatalogError(path, f"line {e.lineno} column {e.colno}", f"invalid JSON: {e.msg}")]
    except (OSError, UnicodeDecodeError) as e:
        return None, [CatalogError(path, "", f"cannot be read: {e.strerror or e}")]


def _include(node, base, file, where, errors, depth=0, origins=None):
    """Replace ``{"$ref": "../shared/x.json"}`` by that file: blocks shared by entries.

    ``origins`` (a dict, if given) gets the path of each included block -> its file."""
    if isinstance(node, list):
        return [_include(v, base, file, f"{where}[{i}]", errors, depth, origins)
                for i, v in enumerate(node)]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#") and len(node) == 1:
        target = (base / ref).resolve()
        if depth > 5 or not ref.endswith(".json"):
            errors.append(CatalogError(file, where, f"cannot include {ref!r}: a .json file, "
                                       "at most 5 levels deep, is expected"))
            return node
        doc, problems = _read_json(target)
        if problems:
            errors.append(CatalogError(file, where, f"cannot include {ref!r}: {problems[0].message}"))
            return node
        if origins is not None:
            origins[where] = target
        return _include(doc, target.parent, file, where, errors, depth + 1, origins)
    return {k: _include(v, base, file, f"{where}.{k}" if where else k, errors, depth, origins)
            for k, v in node.items()}


def read_entry(path):
    """(Entry or None, errors) for one file."""
    path = Path(path)
    doc, errors = _read_json(path)
    if errors:
        return None, errors
    origins = {}
    doc = _include(doc, path.parent, path, "", errors, origins=origins)
    errors += check_document(doc, path, origins)
    if errors:
        return None, errors
    options = copy.deepcopy(doc["options"])
    versions = tuple(doc["image"]["versions"])
    options.setdefault("properties", {})
    options["properties"] = {"version": {
        "type": "string", "enum": list(versions), "default": versions[0],
        "x-datalab": {"label": {"en": "Version", "fr": "Version"}, "sets": "version",
                      "widget": "select"}}, **options["properties"]}
    return Entry(id=doc["id"], kind=doc["kind"], name=doc["name"], description=doc["description"],
                 icon=doc["icon"], category=doc["category"], image=doc["image"]["name"],
                 versions=versions, options=options, kubernetes=doc.get("kubernetes") or {},
                 local=doc.get("local") or {}, training=doc.get("training") or {},
                 source=str(path), service=doc.get("service") or {}), []


def entry_files(source):
    source = Path(source)
    if source.is_file():
        return [source]
    # blocks that entries include live in folders named ``shared``; hidden folders are
    # skipped: a Kubernetes ConfigMap mount keeps each file twice (``..<timestamp>/``);
    # ``*.schema.json`` are for editors (``catalog.schema.json``), not entries
    return sorted(p for p in source.rglob("*.json")
                  if not p.name.endswith(".schema.json")
                  and not any(part == "shared" or part.startswith(".")
                              for part in p.relative_to(source).parts[:-1]))


def load(sources):
    """(entries by id, errors) from files and directories; duplicate ids are errors."""
    entries, errors = {}, []
    for source in sources:
        if not Path(source).exists():
            errors.append(CatalogError(source, "", "no such file or directory"))
            continue
        for path in entry_files(source):
            entry, problems = read_entry(path)
            # a mistake in a shared block is said once, not once per entry including it
            errors.extend(p for p in problems if str(p) not in map(str, errors))
            if entry is None:
                continue
            if entry.id in entries:
                errors.append(CatalogError(path, "id", f"duplicate id {entry.id!r}, "
                                           f"already used by {entries[entry.id].source}"))
                continue
            entries[entry.id] = entry
    return entries, errors


# -- resolving a user's options -------------------------------------------------------


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
        raise OptionsError("options", "expected an object of options", "un objet d'options est attendu")
    schema = resolve_schema(entry, context, overrides)
    for path, prop in _walk(schema):
        x = prop.get("x-datalab", {})
        value, given = _get(options, path)
        if (x.get("hidden") or x.get("readonly")) and given and value != prop.get("default"):
            raise OptionsError(path, "this option is set by the platform and cannot be changed",
                               "cette option est fixée par la plateforme et ne peut pas être changée")
    completed = fill_defaults(schema, options)
    errors = sorted(Draft202012Validator(schema).iter_errors(completed),
                    key=lambda e: (len(e.path), list(map(str, e.path))))
    if errors:
        error = errors[0]
        where = ".".join(str(p) for p in error.absolute_path) or "options"
        en, fr = _messages(error, where)
        raise OptionsError(where, en, fr)
    return completed


def drives(entry, what):
    """Whether one of the entry's options ``sets`` ``what`` (e.g. "vault")."""
    return any(prop.get("x-datalab", {}).get("sets") == what for _, prop in _walk(entry.options))


def to_launch(entry, options):
    """What the checked options drive: resources, credentials, variables."""
    launch = Launch(entry=entry, options=options, version=options.get("version") or entry.versions[0])
    for path, prop in _walk(entry.options):
        sets = prop.get("x-datalab", {}).get("sets")
        value, given = _get(options, path)
        if not sets or not given or sets == "version":
            continue
        if sets.startswith("env:"):
            if value not in (None, ""):
                launch.env[sets[4:]] = str(value).lower() if isinstance(value, bool) else str(value)
        elif sets in ("cpu", "memory"):
            setattr(launch, sets, float(value) if value is not None else None)
        elif sets in ("gpu", "disk"):
            setattr(launch, sets, int(value) if value is not None else None)
        else:
            setattr(launch, sets, bool(value))
    return launch


# -- the admin's view: sources, access rules, overrides, region -------------------------


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
            raise OptionsError("entry", f"no such {kind} in the catalog: {entry_id!r}",
                               f"cette entrée n'existe pas dans le catalogue : {entry_id!r}")
        context = self.context(username, groups, (claims or {}).get("email", ""))
        checked = check_options(entry, options, context, self.option_overrides)
        return to_launch(entry, checked)
