"""Start, watch and stop the whole embedded datalab as one unit."""

import os
import time

import psutil

from ..identity import load_or_create_key, public_pem
from . import hub, oidc, s3, vault
from .errors import StackError
from .process import terminate_all
from .ports import PortPlan, identity_issuer
from .state import StateDir

ENDPOINTS = "endpoints.json"
PIDS = "pids.json"
# A backend that fails is started again, after 1, 2, 4, 8 then 16 s; more than
# RESTART_LIMIT failures within RESTART_WINDOW seconds stop the stack (it is broken, not
# unlucky). The hub and users' servers keep running meanwhile: one backend's crash once
# stopped everyone's kernels.
BACKOFF = (1, 2, 4, 8, 16)
RESTART_LIMIT = 5
RESTART_WINDOW = 300


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
                c.restartable = True
            # OpenBao starts sealed: unseal it again with the kept key
            backends[2].after_restart = lambda: vault.init_and_unseal(self.state, self.ports)
            for c in backends:
                self._start(c)
            for c in backends:
                self._wait(c)
            s3.warm_up(self.state, self.ports)
            root_token = vault.init_and_unseal(self.state, self.ports)
            identity_key = load_or_create_key(self.state / hub.IDENTITY_KEY)
            vault.configure_jwt_auth(self.state, self.ports, root_token, identity_issuer(self.ports),
                                     public_pem(identity_key))
            self.echo("  ok  openbao unsealed, KV v2 at secret/, JWT login for datalab identities")
            proxy = hub.proxy_component(self.state, self.ports)
            proxy.restartable = True  # traefik reads the hub's routes from its rules file
            for c in (proxy, hub.hub_component(self.state, self.ports)):
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
        """Block while the stack runs: restart a backend that fails (with backoff and a
        limit), raise StackError when the hub dies or a backend keeps failing."""
        while True:
            for c in self.components:
                if c.alive():
                    continue
                if not c.restartable:
                    c.check_alive()  # raises, naming the failure
                self.restart(c)
            time.sleep(interval)

    def restart(self, component):
        """Start a failed component again, after its backoff; its failure is kept for
        ``datalab status``."""
        c = component
        now = time.monotonic()
        c.last_failure = c.failure()
        c.restarts = [t for t in c.restarts if now - t < RESTART_WINDOW]
        if len(c.restarts) >= RESTART_LIMIT:
            raise StackError(f"{c.last_failure}; it failed {RESTART_LIMIT + 1} times within "
                             f"{RESTART_WINDOW // 60} minutes, so the stack stops",
                             fr=f"{c.failure('fr')} ; il a échoué {RESTART_LIMIT + 1} fois en "
                                f"{RESTART_WINDOW // 60} minutes, donc la pile s'arrête")
        delay = BACKOFF[min(len(c.restarts), len(BACKOFF) - 1)]
        self.echo(f"  !!  {c.last_failure}; restarting it in {delay} s (the hub and servers keep running)")
        self._write_health(c.name, "restarting")
        time.sleep(delay)
        c.restarts.append(time.monotonic())
        c.restart_count += 1
        try:
            c.start()
            c.wait_ready()
            if c.after_restart:
                c.after_restart()
        except StackError as e:
            c.last_failure = str(e)
            self.echo(f"  !!  {c.name} did not come back: {e}")
            if c.proc is not None and c.proc.poll() is None:
                c.stop()  # the next round counts it as a failure and backs off more
            return
        self._write_pids()
        self._write_health(c.name, "running")
        self.echo(f"  ok  {c.name:<24} restarted ({c.restart_count} since start), "
                  f"ready in {c.ready_after:.1f} s")

    def health(self):
        """``{component: {"state", "pid", "restarts", "last_failure"}}`` for ``datalab status``."""
        return {c.name: {"state": "running" if c.alive() else "down", "pid": c.pid,
                         "restarts": c.restart_count, "last_failure": c.last_failure}
                for c in self.components}

    def _write_health(self, name, state):
        if not self.endpoints:
            return
        health = self.health()
        health[name]["state"] = state
        self.endpoints["health"] = health
        self.endpoints["components"] = {c.name: c.pid for c in self.components}
        self.state.write_json(ENDPOINTS, self.endpoints)

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
            "health": self.health(),
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
