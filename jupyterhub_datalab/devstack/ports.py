"""Where each component listens: fixed offsets from the public port.

A stack on ``--port 8000`` uses 8000-8016 (and 18014 for SeaweedFS's admin gRPC); the same port always gives the same
addresses, so URLs in notebooks and tokens stay valid across restarts.
"""

import socket

from .errors import StackError

OFFSETS = {
    "proxy": (0, "JupyterHub (public proxy)"),
    "proxy_api": (1, "traefik API (for the hub)"),
    "hub": (2, "JupyterHub"),
    "oidc": (3, "OIDC provider"),
    "s3": (4, "SeaweedFS S3"),
    "vault": (5, "OpenBao"),
    "vault_cluster": (6, "OpenBao cluster"),
    "weed_master": (7, "SeaweedFS master"),
    "weed_master_grpc": (8, "SeaweedFS master gRPC"),
    "weed_volume": (9, "SeaweedFS volume"),
    "weed_volume_grpc": (10, "SeaweedFS volume gRPC"),
    "weed_filer": (11, "SeaweedFS filer"),
    "weed_filer_grpc": (12, "SeaweedFS filer gRPC"),
    "weed_s3_grpc": (13, "SeaweedFS S3 gRPC"),
    "weed_admin": (14, "SeaweedFS admin"),
    "datalab_service": (15, "datalab service (companion services)"),
    # companions' web UIs, each on its own origin http://<name>--<owner>.apps.localhost:<port>
    "apps": (16, "companion web UIs (their own origins)"),
    # SeaweedFS's maintenance worker dials the admin port + 10000 whatever is configured
    "weed_admin_grpc": (10014, "SeaweedFS admin gRPC"),
}
SPAN = 17  # the contiguous ports from the base; the admin gRPC one lies beyond
MAX_OFFSET = max(offset for offset, _ in OFFSETS.values())
HOST = "127.0.0.1"


def port_is_free(port, host=HOST):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # like the servers themselves: a port in TIME_WAIT is reusable
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


class PortPlan:
    def __init__(self, base):
        if not 1024 <= base <= 65535 - MAX_OFFSET:
            raise StackError(
                f"--port {base} is out of range: choose a port between 1024 and {65535 - MAX_OFFSET}",
                fr=f"--port {base} est hors limites : choisissez un port entre 1024 et {65535 - MAX_OFFSET}",
                exit_code=2,
            )
        self.base = base
        self.ports = {name: base + offset for name, (offset, _) in OFFSETS.items()}

    def __getitem__(self, name):
        return self.ports[name]

    def url(self, name):
        return f"http://{HOST}:{self.ports[name]}"

    def check_free(self):
        for name, port in self.ports.items():
            if not port_is_free(port):
                role = OFFSETS[name][1]
                raise StackError(
                    f"port {port} (needed by {role}) is already in use on {HOST}; "
                    f"stop what uses it or start with another --port (datalab uses {self.base}-{self.base + SPAN - 1} and {self.base + MAX_OFFSET})",
                    fr=f"le port {port} (pour {role}) est déjà utilisé sur {HOST} ; arrêtez ce qui l'utilise "
                       f"ou démarrez avec un autre --port (datalab utilise {self.base}-{self.base + SPAN - 1} "
                       f"et {self.base + MAX_OFFSET})",
                    exit_code=2,
                )


def identity_issuer(ports):
    """Where the hub serves the datalab identity issuer (JWKS, discovery)."""
    return ports.url("proxy") + "/hub/datalab"
