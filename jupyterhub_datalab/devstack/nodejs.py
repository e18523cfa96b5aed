"""The Node.js parts of the stack: bundles built at install time, run with plain ``node``.

``node/`` holds their sources (the demo OIDC provider, and npm's
configurable-http-proxy: the proxy of Kubernetes deployments, run by the KubeSpawner
test's hub; ``datalab up`` uses traefik);
``pip install`` bundles each into one file of ``node/dist/``.
"""

import shutil
from pathlib import Path

from .errors import StackError

DIST = Path(__file__).parent / "node" / "dist"


def node_command(bundle):
    """``[node, <bundle path>]``, or a StackError saying what to install."""
    node = shutil.which("node")
    if node is None:
        raise StackError(
            "the embedded datalab needs Node.js (>= 20) on PATH: install it, e.g. `apt-get install nodejs`",
            fr="le datalab embarqué demande Node.js (>= 20) dans le PATH : installez-le, par exemple "
               "`apt-get install nodejs`",
            exit_code=2,
        )
    path = DIST / bundle
    if not path.exists():
        raise StackError(
            f"{path} is missing: reinstall jupyterhub-datalab (`pip install -e .` builds it with npm)",
            fr=f"{path} manque : réinstallez jupyterhub-datalab (`pip install -e .` le construit avec npm)",
            exit_code=2,
        )
    return [node, str(path)]
