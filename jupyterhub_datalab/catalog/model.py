"""What an entry is made of: the format's vocabulary, the errors and the loaded Entry.

The vocabulary (kinds, categories, what an option ``sets``, widgets, name patterns) is
shared by the validator (``checks``, ``service_checks``), the spawn page and the
schema test; the required keys are those of the published schema (``published``).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field

from ..messages import DatalabError
from .published import schema as published_schema

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
# the keys an entry may have are those of the published schema (published.py)
REQUIRED = tuple(published_schema()["required"])
LOCAL_RUNNERS = ("command", "postgresql")
GIT_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]+)?/[^\s]*$")
GIT_REF = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}$")
SECRET_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
ID = re.compile(r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
IMAGE_NAME = re.compile(r"^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class CatalogError(DatalabError, ValueError):
    """A problem in a catalog file: which file, which field (``path``), what is expected,
    in English and French: ``CatalogError(file, path, en, fr=...)``.

    ``message`` and ``str()`` stay English (``file: path: message``), what logs and tests
    match; ``line(language)`` is the line ``datalab catalog validate`` prints in the
    terminal's language. Field names and keywords are the same in both languages."""

    def __init__(self, file, path, en, fr=None):
        self.file, self.path = str(file), path
        super().__init__(None, en, fr, field=path or None)

    @property
    def message(self):
        return self.en

    def line(self, language="en"):
        where = self.path or ("(fichier)" if language == "fr" else "(file)")
        return f"{self.file}: {where}: {self.text(language)}"

    def __str__(self):
        return self.line("en")


class OptionsError(DatalabError, ValueError):
    """A user's option is refused (400): ``OptionsError(en, fr=..., field=...)``; ``field``
    names it, the message says what is allowed."""

    def __init__(self, en, fr=None, *, field):
        super().__init__(400, en, fr, field=field)

    def __str__(self):
        return f"{self.field}: {self.en}" if self.field else self.en


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
