"""The launch plan: an entry with a user's checked options, and what those options
drive (resources, credentials, variables). Spawners and companion backends start it."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Entry
from .options import _get, _walk


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
