"""The labextension's TypeScript unit tests (labextension/src/__tests__: masking, snippets,
paths, sizes, sorting), run by vitest through `npm test`, so that `.venv/bin/pytest` runs
them too. Not marked `unit`: it starts Node."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

LABEXTENSION = Path(__file__).resolve().parents[2] / "labextension"


def test_typescript_unit_tests_pass():
    if not (LABEXTENSION / "node_modules" / ".bin" / "vitest").exists():
        pytest.fail("labextension/node_modules has no vitest: run `cd labextension && npm install` "
                    "(pip install -e . does it when it builds the extension)", pytrace=False)
    npm = shutil.which("npm")
    assert npm, "npm is needed to run the labextension's unit tests (Node.js >= 20)"
    done = subprocess.run([npm, "test", "--silent"], cwd=LABEXTENSION, capture_output=True, text=True, check=False,
                          timeout=300, env={**os.environ, "CI": "true", "NO_COLOR": "1"})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout.split("Tests")[-1], done.stdout[-2000:]
