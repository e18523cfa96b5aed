"""Start, watch and stop the whole embedded datalab as one unit."""

import os
import time

import psutil

from ..identity import load_or_create_key, public_pem
from . import hub, oidc, s3, vault
from .process import terminate_all
from .ports import PortPlan
from .state import StateDir

ENDPOINTS = "endpoints.json"
PIDS = "pids.json"


class Stack:
    """The embedded datalab: OIDC provider, S3, Vault, proxy and hub."""

    def __init__(self, state_dir, port=8000, echo=print):
        self.state = StateDir(state_dir)
        self.ports = PortPlan(port)
        self.echo = echo
        self.components = []
        self.endpoints = None

    # -- lifecycle -------------------------------------------------------

    def up(self):
        """Start everything and return once the hub answers through the proxy."""
        t0 = time.monotonic()
        self.state.prepare()
        self.state.lock()
        try:
            self._reap_previous_run()
            self.ports.check_free()
            self.echo(f"datalab: state in {self.state.path}, logs in {self.state / 'logs'}")
            backends = [
                oidc.component(self.state, self.ports),
                s3.component(self.state, self.ports),
                vault.component(self.state, self.ports),
            ]
            for c in backends:
                self._start(c)
            for c in backends:
                self._wait(c)
            s3.warm_up(self.state, self.ports)
            root_token = vault.init_and_unseal(self.state, self.ports)
            identity_key = load_or_create_key(self.state / hub.IDENTITY_KEY)
            vault.configure_jwt_auth(self.state, self.ports, root_token, hub.identity_issuer(self.ports),
                                     public_pem(identity_key))
            self.echo("  ok  openbao unsealed, KV v2 at secret/, JWT login for datalab identities")
            for c in (hub.proxy_component(self.state, self.ports),
                      hub.hub_component(self.state, self.ports)):
                self._start(c)
                self._wait(c)
        except BaseException:
            self.down()
            raise
        self.endpoints = self._write_endpoints()
        return time.monotonic() - t0

    def _start(self, component):
        component.start()
        self.components.append(component)
        self._write_pids()

    def _wait(self, component):
        elapsed = component.wait_ready()
        self.echo(f"  ok  {component.name:<24} {component.url:<26} ready in {elapsed:.1f} s")

    def watch(self, interval=0.5):
        """Block while every component runs; raise StackError when one dies."""
        while True:
            for c in self.components:
                c.check_alive()
            time.sleep(interval)

    def down(self):
        """Stop in reverse order (hub first, so it stops the users' servers)."""
        for c in reversed(self.components):
            try:
                c.stop()
            except Exception as e:  # keep stopping the others
                self.echo(f"  !!  could not stop {c.name} cleanly: {e}")
        self.components = []
        try:
            (self.state / PIDS).unlink(missing_ok=True)
            if self.endpoints:
                (self.state / ENDPOINTS).unlink(missing_ok=True)
        except OSError:
            pass
        self.state.unlock()

    # -- bookkeeping -----------------------------------------------------

    def _write_pids(self):
        records = []
        for c in self.components:
            try:
                created = psutil.Process(c.pid).create_time()
            except psutil.NoSuchProcess:
                continue
            records.append({"name": c.name, "pid": c.pid, "create_time": created})
        self.state.write_json(PIDS, {"supervisor": os.getpid(), "components": records})

    def _reap_previous_run(self):
        """Stop processes a killed supervisor left behind (we hold the lock now)."""
        # the hub's own services outlive a hub killed with its supervisor: find them by
        # the config file they read (companions are left alone: the service adopts them)
        config = str(self.state / "hub/jupyterhub_config.py")
        for p in psutil.process_iter(["cmdline"]):
            cmd = p.info["cmdline"] or []
            if "jupyterhub_datalab.service" in cmd and config in cmd:
                self.echo(f"  ..  stopping the datalab service (pid {p.pid}) left by a previous run")
                terminate_all([p])
        previous = self.state.read_json(PIDS)
        if not previous:
            return
        for record in previous.get("components", []):
            try:
                p = psutil.Process(record["pid"])
                if abs(p.create_time() - record["create_time"]) > 0.01:
                    continue
            except psutil.NoSuchProcess:
                continue
            self.echo(f"  ..  stopping {record['name']} (pid {p.pid}) left by a previous run")
            terminate_all([p, *p.children(recursive=True)])
        (self.state / PIDS).unlink(missing_ok=True)

    def _write_endpoints(self):
        users = oidc.demo_users(self.state)
        endpoints = {
            "hub_url": self.ports.url("proxy") + "/",
            "oidc_issuer": self.ports.url("oidc"),
            "s3_endpoint": self.ports.url("s3"),
            "s3_region": s3.REGION,
            "s3_role_arn": s3.USER_ROLE_ARN,
            "vault_addr": self.ports.url("vault"),
            "vault_kv_mount": vault.KV_MOUNT,
            "demo_logins": [
                {"username": u["username"], "password": u["password"], "groups": u["groups"]}
                for u in users
            ],
            "state_dir": str(self.state.path),
            "logs_dir": str(self.state / "logs"),
            "pid": os.getpid(),
            "components": {c.name: c.pid for c in self.components},
            "isolation": hub.isolation(),
        }
        self.state.write_json(ENDPOINTS, endpoints)
        return endpoints


def read_status(state_dir):
    """The endpoints of the stack running on ``state_dir``, or None if none runs."""
    state = StateDir(state_dir)
    endpoints = state.read_json(ENDPOINTS)
    if not endpoints or not psutil.pid_exists(endpoints.get("pid", -1)):
        return None
    return endpoints
