"""Companions kept on disk: one private JSON file per companion, ``<dir>/<owner>/<name>.json``.

Owners and names are normalised labels (``[a-z0-9-]``), so they are safe path parts.
A file holds the Companion, whether its owner wants it running, and what the service
did to it (events); generated passwords are in it, so files and folders are private.
"""

import json
import os
from pathlib import Path

from ..companions import Companion


class Store:
    def __init__(self, path):
        self.path = Path(path)
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _file(self, owner, name):
        return self.path / owner / f"{name}.json"

    def save(self, companion, desired, events):
        path = self._file(companion.owner, companion.name)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"companion": companion.to_dict(), "desired": desired,
                       "events": events[-100:]}, f, indent=1)
        os.replace(tmp, path)  # a crash leaves the old file or the new one, never half of one

    def remove(self, owner, name):
        self._file(owner, name).unlink(missing_ok=True)
        try:
            self._file(owner, name).parent.rmdir()
        except OSError:
            pass  # other companions of this owner remain

    def load(self, log=None):
        """[(Companion, desired, events)] of every readable file; broken ones are logged."""
        records = []
        for path in sorted(self.path.glob("*/*.json")):
            try:
                doc = json.loads(path.read_text())
                companion = Companion(**doc["companion"])
                records.append((companion, doc.get("desired", "running"), doc.get("events", [])))
            except (OSError, ValueError, KeyError, TypeError) as e:
                if log:
                    log.error("Companion state %s left out: %s", path, e)
        return records
