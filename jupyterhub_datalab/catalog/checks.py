"""The contributors' validator: every problem of one entry document, named with its
file and field (the ``service`` section is checked by ``service_checks``)."""

from __future__ import annotations

from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError

from ..i18n import LANGUAGES
from .model import (CATEGORIES, ENV_NAME, GIT_REF, GIT_URL, ID, IMAGE_NAME, KINDS, REQUIRED, SETS,
                    TAG, WIDGETS, CatalogError)
from .published import unknown_keywords
from .service_checks import _check_service
from .templates import TEMPLATE


def _localized(doc, key, file, errors, where=None):
    where = where or key
    value = doc.get(key)
    if not isinstance(value, dict):
        errors.append(CatalogError(file, where, 'expected {"en": "...", "fr": "..."}',
                                   'attendu : {"en": "...", "fr": "..."}'))
        return
    for lang in LANGUAGES:
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            errors.append(CatalogError(file, f"{where}.{lang}", f"missing the {lang} translation",
                                       f"il manque la traduction {lang}"))


def _check_option(prop, path, file, errors):
    """The x-datalab vocabulary of one property, and its sub-properties."""
    x = prop.get("x-datalab", {})
    if not isinstance(x, dict):
        errors.append(CatalogError(file, f"{path}.x-datalab", "expected an object",
                                   "attendu : un objet"))
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
                                   f"capitals), got {sets!r}",
                                   f"attendu : l'un de {', '.join(SETS)} ou env:NAME (NAME en "
                                   f"majuscules), reçu {sets!r}"))
    if "widget" in x and x["widget"] not in WIDGETS:
        errors.append(CatalogError(file, f"{path}.x-datalab.widget",
                                   f"expected one of {', '.join(WIDGETS)}",
                                   f"attendu : l'un de {', '.join(WIDGETS)}"))
    if x.get("widget") == "slider" and not {"minimum", "maximum"} <= set(prop):
        errors.append(CatalogError(file, f"{path}", "a slider needs minimum and maximum",
                                   "un slider a besoin de minimum et maximum"))
    if "default" in x and (not isinstance(x["default"], str) or not TEMPLATE.search(x["default"])):
        errors.append(CatalogError(file, f"{path}.x-datalab.default",
                                   "expected a context template such as '{{user.email}}'",
                                   "attendu : un modèle de contexte comme '{{user.email}}'"))
    if prop.get("type") == "object":
        for name, sub in (prop.get("properties") or {}).items():
            if not isinstance(sub, dict):
                errors.append(CatalogError(file, f"{path}.{name}", "expected a schema object",
                                           "attendu : un objet JSON Schema"))
                continue
            _check_option(sub, f"{path}.{name}", file, errors)
    elif "default" not in prop and "default" not in x:
        errors.append(CatalogError(file, path, "every option needs a default",
                                   "chaque option a besoin d'une valeur par défaut (default)"))
    else:
        try:
            if "default" in prop:
                Draft202012Validator({k: v for k, v in prop.items() if k != "x-datalab"}).validate(
                    prop["default"])
        except ValidationError as e:
            errors.append(CatalogError(file, f"{path}.default", f"default is not valid: {e.message}",
                                       f"default n'est pas valide : {e.message}"))


def check_document(doc, file, origins=None):
    """Every problem of one entry document, as CatalogErrors (empty list: fine).

    ``origins``: where shared blocks were included (see ``_include``), so that an unknown
    keyword is reported in the block's file."""
    if not isinstance(doc, dict):
        return [CatalogError(file, "", "expected a JSON object", "attendu : un objet JSON")]
    errors = [CatalogError(where or file, path, *words)
              for where, path, words in unknown_keywords(doc, origins)]
    for key in REQUIRED:
        if key not in doc:
            errors.append(CatalogError(file, key, "required field is missing",
                                       "champ obligatoire manquant"))
    if "id" in doc and not (isinstance(doc["id"], str) and ID.match(doc["id"])):
        errors.append(CatalogError(file, "id", "expected lowercase letters, digits and '-' "
                                   "(at most 40), e.g. 'jupyter-python'",
                                   "attendu : des minuscules, des chiffres et des '-' "
                                   "(40 au plus), par exemple 'jupyter-python'"))
    if "kind" in doc and doc["kind"] not in KINDS:
        errors.append(CatalogError(file, "kind", f"expected one of {', '.join(KINDS)}",
                                   f"attendu : l'un de {', '.join(KINDS)}"))
    for key in ("name", "description"):
        if key in doc:
            _localized(doc, key, file, errors)
    if "category" in doc and doc["category"] not in CATEGORIES:
        errors.append(CatalogError(file, "category", f"expected one of {', '.join(CATEGORIES)}",
                                   f"attendu : l'un de {', '.join(CATEGORIES)}"))
    if "icon" in doc and not (isinstance(doc["icon"], str) and doc["icon"].strip()):
        errors.append(CatalogError(file, "icon", "expected an icon name, an https:// or data: URL",
                                   "attendu : un nom d'icône, une URL https:// ou data:"))
    image = doc.get("image")
    if "image" in doc:
        if not isinstance(image, dict):
            errors.append(CatalogError(file, "image", 'expected {"name": ..., "versions": [...]}',
                                       'attendu : {"name": ..., "versions": [...]}'))
        else:
            name = image.get("name")
            if not isinstance(name, str) or ":" in name.rsplit("/", 1)[-1] or "@" in name:
                errors.append(CatalogError(file, "image.name", "expected an image name without "
                                           "tag (tags go in image.versions)",
                                           "attendu : un nom d'image sans tag (les tags vont "
                                           "dans image.versions)"))
            elif not IMAGE_NAME.match(name):
                errors.append(CatalogError(file, "image.name", f"{name!r} is not an image name",
                                           f"{name!r} n'est pas un nom d'image"))
            versions = image.get("versions")
            if not isinstance(versions, list) or not versions:
                errors.append(CatalogError(file, "image.versions",
                                           "expected at least one tag, the default first",
                                           "attendu : au moins un tag, celui par défaut en premier"))
            else:
                for i, tag in enumerate(versions):
                    if not isinstance(tag, str) or not TAG.match(tag):
                        errors.append(CatalogError(file, f"image.versions[{i}]",
                                                   f"{tag!r} is not an image tag",
                                                   f"{tag!r} n'est pas un tag d'image"))
                    elif tag == "latest":
                        errors.append(CatalogError(file, f"image.versions[{i}]",
                                                   "'latest' moves under users: pin a version",
                                                   "'latest' change sans prévenir les "
                                                   "utilisateurs : fixez une version"))
                if len(set(map(str, versions))) != len(versions):
                    errors.append(CatalogError(file, "image.versions", "a tag is listed twice",
                                           "un tag figure deux fois"))
    options = doc.get("options")
    if "options" in doc:
        if not isinstance(options, dict) or options.get("type") != "object":
            errors.append(CatalogError(file, "options", 'expected a JSON Schema {"type": "object", ...}',
                                       'attendu : un JSON Schema {"type": "object", ...}'))
        else:
            try:
                Draft202012Validator.check_schema(options)
            except SchemaError as e:
                where = ".".join(str(p) for p in e.path)
                errors.append(CatalogError(file, f"options.{where}".rstrip("."),
                                           f"not a valid JSON Schema: {e.message}",
                                           f"JSON Schema non valide : {e.message}"))
            else:
                if "version" in (options.get("properties") or {}):
                    errors.append(CatalogError(file, "options.version",
                                               "reserved: versions come from image.versions",
                                               "réservé : les versions viennent de image.versions"))
                _check_option(options, "options", file, errors)
    for key in ("kubernetes", "local"):
        section = doc.get(key)
        if section is None:
            continue
        if not isinstance(section, dict):
            errors.append(CatalogError(file, key, "expected an object", "attendu : un objet"))
            continue
        if "cmd" in section and not (isinstance(section["cmd"], list) and section["cmd"]
                                     and all(isinstance(a, str) for a in section["cmd"])):
            errors.append(CatalogError(file, f"{key}.cmd", "expected a list of strings",
                                       "attendu : une liste de chaînes"))
        for name, value in (section.get("env") or {}).items():
            if not ENV_NAME.match(name) or not isinstance(value, str):
                errors.append(CatalogError(file, f"{key}.env.{name}",
                                           "expected NAME (capitals) -> string",
                                           "attendu : NAME (majuscules) -> chaîne"))
    local = doc.get("local")
    if isinstance(local, dict):
        if "unavailable" in local:
            _localized(local, "unavailable", file, errors, "local.unavailable")
        for i, need in enumerate(local.get("requires", [])):
            if not isinstance(need, dict) or not isinstance(need.get("command"), str):
                errors.append(CatalogError(file, f"local.requires[{i}]",
                                           'expected {"command": ..., "hint": {"en", "fr"}}',
                                           'attendu : {"command": ..., "hint": {"en", "fr"}}'))
            else:
                _localized(need, "hint", file, errors, f"local.requires[{i}].hint")
    if doc.get("kind") == "service":
        _check_service(doc, file, errors)
    elif "service" in doc:
        errors.append(CatalogError(file, "service", "only entries of kind 'service' have this section",
                                   "seules les entrées de kind 'service' ont cette section"))
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
                                       "'training': {\"material\": ..., \"open\": {\"en\": ..., \"fr\": ...}}",
                                       "obligatoire pour un environnement de category 'training' : "
                                       "{\"material\": ..., \"open\": {\"en\": ..., \"fr\": ...}}"))
        return
    if doc.get("kind") != "environment":
        errors.append(CatalogError(file, "training", "only entries of kind 'environment' have this section",
                                   "seules les entrées de kind 'environment' ont cette section"))
        return
    if not isinstance(training, dict):
        errors.append(CatalogError(file, "training", 'expected {"material": ..., "open": {"en": ..., "fr": ...}}',
                                   'attendu : {"material": ..., "open": {"en": ..., "fr": ...}}'))
        return
    material, folder = training.get("material"), None
    if material is None:
        errors.append(CatalogError(file, "training.material", 'required: {"path": "<folder beside '
                                   'the entry>"} or {"git": "https://...", "ref": "<branch or tag>"}',
                                   'obligatoire : {"path": "<dossier à côté de l\'entrée>"} ou '
                                   '{"git": "https://...", "ref": "<branche ou tag>"}'))
    elif not isinstance(material, dict) or len({"path", "git"} & set(material)) != 1:
        errors.append(CatalogError(file, "training.material", 'expected one source: {"path": ...} '
                                   'or {"git": "https://...", "ref": ...}',
                                   'attendu : une seule source, {"path": ...} '
                                   'ou {"git": "https://...", "ref": ...}'))
    else:
        known = {"path"} if "path" in material else {"git", "ref"}
        for key in sorted(set(material) - known):
            errors.append(CatalogError(file, f"training.material.{key}",
                                       f"unknown key; known: {', '.join(sorted(known))}",
                                       f"clé inconnue ; clés connues : {', '.join(sorted(known))}"))
        if "path" in material:
            folder = _material_folder(material["path"], file, errors)
        else:
            url = material["git"]
            if not (isinstance(url, str) and GIT_URL.match(url)):
                errors.append(CatalogError(file, "training.material.git",
                                           "expected an https:// URL of a git repository",
                                           "attendu : l'URL https:// d'un dépôt git"))
            if "ref" in material and not (isinstance(material["ref"], str) and GIT_REF.match(material["ref"])):
                errors.append(CatalogError(file, "training.material.ref",
                                           "expected a branch or tag name (letters, digits, . _ / -)",
                                           "attendu : un nom de branche ou de tag (lettres, "
                                           "chiffres, . _ / -)"))
    notebooks = training.get("open")
    if not isinstance(notebooks, dict):
        errors.append(CatalogError(file, "training.open", 'expected the notebook opened first per '
                                   'language: {"en": "x.en.ipynb", "fr": "x.fr.ipynb"}',
                                   'attendu : le notebook ouvert en premier, par langue : '
                                   '{"en": "x.en.ipynb", "fr": "x.fr.ipynb"}'))
        return
    for lang in LANGUAGES:
        name = notebooks.get(lang)
        where = f"training.open.{lang}"
        if name is None:
            errors.append(CatalogError(file, where, f"missing the {lang} notebook",
                                       f"il manque le notebook {lang}"))
        elif not (isinstance(name, str) and name.endswith(".ipynb") and not name.startswith("/")
                  and all(part not in ("", ".", "..") for part in name.split("/"))):
            errors.append(CatalogError(file, where, "expected a notebook (.ipynb) path inside the "
                                       "material, e.g. 'first-steps.en.ipynb'",
                                       "attendu : le chemin d'un notebook (.ipynb) dans le support, "
                                       "par exemple 'first-steps.en.ipynb'"))
        elif folder is not None and not (folder / name).is_file():
            errors.append(CatalogError(file, where, f"{name!r} is not in the material ({folder})",
                                       f"{name!r} n'est pas dans le support ({folder})"))


def _material_folder(path, file, errors):
    """The material folder of a ``{"path": ...}`` source, or None (an error said why)."""
    where = "training.material.path"
    if not isinstance(path, str) or not path.strip() or path.startswith("/") or "\\" in path:
        errors.append(CatalogError(file, where, "expected a folder relative to the entry file, "
                                   "e.g. 'first-steps'",
                                   "attendu : un dossier relatif au fichier de l'entrée, "
                                   "par exemple 'first-steps'"))
        return None
    base = Path(file).resolve().parent
    folder = (base / path).resolve()
    if folder == base or not folder.is_relative_to(base):
        errors.append(CatalogError(file, where, f"{path!r} leaves the entry's folder ({base}): "
                                   "material lives in a folder beside the entry",
                                   f"{path!r} sort du dossier de l'entrée ({base}) : "
                                   "le support se trouve dans un dossier à côté de l'entrée"))
        return None
    if not folder.is_dir():
        errors.append(CatalogError(file, where, f"no such folder: {folder}",
                                   f"dossier introuvable : {folder}"))
        return None
    stray = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.json")
                   if not any(part.startswith(".") for part in p.relative_to(folder).parts))
    if stray:
        errors.append(CatalogError(file, where, f"holds .json files ({', '.join(stray[:3])}) that "
                                   "the catalog would read as entries: rename them or use git material",
                                   f"contient des fichiers .json ({', '.join(stray[:3])}) que le "
                                   "catalogue lirait comme des entrées : renommez-les ou prenez "
                                   "un support git"))
    return folder
