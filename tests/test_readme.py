"""README's commands are the ones CI runs: `.ci/run` reads its marked blocks and adds no
install step of its own, so a newcomer's first command is the one CI proves."""

import importlib.util
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent


def readme_module():
    spec = importlib.util.spec_from_file_location("ci_readme", ROOT / ".ci/readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ci_runs_the_readme_blocks_and_nothing_of_its_own():
    blocks = readme_module().blocks()
    assert set(blocks) >= {"system", "install", "test", "unit"}
    ci = (ROOT / ".ci/run").read_text()
    for name in ("system", "install", "test"):
        assert f"readme {name}" in ci, f".ci/run does not run README's {name} block"
    commands = [line for line in ci.splitlines() if not line.lstrip().startswith(("#", "echo"))]
    assert not [line for line in commands if re.search(r"\bpip\b|\bpytest\b", line)], \
        ".ci/run installs or tests on its own instead of running README's blocks"


def test_the_install_block_upgrades_the_venvs_pip_before_installing():
    """The pip a python3.11/3.12 venv brings (23.2) gives up on the dev extra
    (`No matching distribution found for fsspec==2025.3.1.*`)."""
    install = readme_module().blocks()["install"]
    assert install.index("pip install --upgrade pip") < install.index('pip install -e ".[dev]"')
    assert readme_module().blocks()["test"].strip() == ".venv/bin/pytest"


def test_blocks_are_read_inside_list_items():
    text = "1. Install:\n\n   <!-- ci: x -->\n   ```bash\n   a && \\\n     b\n   ```\n"
    assert readme_module().blocks(text) == {"x": "a && \\\n  b\n"}
