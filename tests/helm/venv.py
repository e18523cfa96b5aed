"""The Python 3.12 virtualenv that drives real Helm (PyPI ``helm-sdkpy``: Helm's Go library).

helm-sdkpy needs Python >= 3.12 while the project's venv may be 3.11, so Helm runs in its
own venv, ``.venv-helm/`` at the repository root (gitignored), made once and reused.
``.ci/run`` makes it with ``python tests/helm/venv.py``; the tests make it if missing.
"""

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-helm"
PACKAGES = ["helm-sdkpy>=0.1.32,<0.2", "pyyaml>=6"]


def find_python312():
    """A working ``python3.12`` (a pyenv shim may exist without a selected version)."""
    candidates = [shutil.which("python3.12"), "/usr/bin/python3.12", "/usr/local/bin/python3.12",
                  *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")))]
    for candidate in filter(None, candidates):
        try:
            out = subprocess.run([candidate, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                                 capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip() == "True":
            return candidate
    raise RuntimeError("Python >= 3.12 is needed to run Helm (PyPI helm-sdkpy) for the chart "
                       "tests, and no working python3.12 was found (tried: "
                       f"{', '.join(filter(None, candidates))}). Install python3.12.")


def venv_python():
    return VENV / "bin" / "python"


def ready():
    python = venv_python()
    return python.exists() and subprocess.run(
        [str(python), "-c", "import helm_sdkpy, yaml"], capture_output=True, check=False).returncode == 0


def ensure():
    """The venv's python, creating the venv and installing helm-sdkpy if needed."""
    if ready():
        return venv_python()
    python = find_python312()
    subprocess.run([python, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run([str(venv_python()), "-m", "pip", "install", "-q",
                    "--disable-pip-version-check", *PACKAGES], check=True)
    if not ready():
        raise RuntimeError(f"{VENV}: helm-sdkpy was installed but does not import")
    return venv_python()


if __name__ == "__main__":
    print(ensure())
    sys.exit(0)
