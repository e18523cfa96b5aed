"""The embedded default: a whole datalab on one machine, from real components.

``datalab up`` supervises an OIDC provider, SeaweedFS (S3), OpenBao (Vault),
traefik and JupyterHub as one unit, all bound to 127.0.0.1,
with every bit of state under one directory.
"""

from .errors import StackError
from .stack import Stack

__all__ = ["Stack", "StackError"]
