"""``datalab``: run the embedded datalab (``up``, ``status``, ``down``)."""

import argparse
import json
import os
import signal
import sys
import time
import traceback

from .devstack import Stack, StackError
from .devstack.stack import read_status
from .devstack.state import default_state_dir
from .i18n import environment_language
from .messages import say


class _Stop(Exception):
    """Raised from the signal handler to unwind into Stack.down()."""


def _on_signal(signum, frame):
    raise _Stop(signal.Signals(signum).name)


def print_endpoints(e, out=print):
    out(f"Datalab is ready: {e['hub_url']}")
    out(f"  OIDC issuer  {e['oidc_issuer']}")
    out(f"  S3 endpoint  {e['s3_endpoint']}  (region {e['s3_region']})")
    out(f"  Vault        {e['vault_addr']}")
    out("Demo logins (username / password / projects):")
    for login in e["demo_logins"]:
        projects = ", ".join(login["groups"]) or "-"
        out(f"  {login['username']:<8} {login['password']:<16} {projects}")
    out(f"State: {e['state_dir']}   Logs: {e['logs_dir']}")
    if e.get("isolation"):
        out(e["isolation"])
    health = e.get("health") or {}
    if health:
        out("Components (state, restarts, last failure):")
        for name, h in health.items():
            failure = h.get("last_failure") or "-"
            out(f"  {name:<16} {h.get('state', '?'):<11} {h.get('restarts', 0):<3} {failure}")


def cmd_up(args):
    try:
        stack = Stack(args.state_dir, port=args.port)
    except StackError as e:
        print(f"datalab: error: {e.text(environment_language())}", file=sys.stderr)
        return e.exit_code
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    try:
        elapsed = stack.up()
        print_endpoints(stack.endpoints)
        print(f"Started in {elapsed:.1f} s. Press Ctrl-C to stop.", flush=True)
        stack.watch()
    except _Stop as e:
        print(f"datalab: {e} received, stopping...", flush=True)
    except StackError as e:
        print(f"datalab: error: {e.text(environment_language())}", file=sys.stderr, flush=True)
        # unwinding may take a few seconds; signals now only speed nothing up
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.down()
        return e.exit_code
    except Exception as e:  # a bug: one line for the person, the traceback in a file
        report = stack.state / "logs/datalab-error.log"
        try:
            report.write_text(traceback.format_exc())
        except OSError:
            report = "(could not be written)"
        print(f"datalab: internal error: {type(e).__name__}: {e}; details in {report}; "
              "please report it", file=sys.stderr, flush=True)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.down()
        return 1
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    stack.down()
    print("datalab: stopped.", flush=True)
    return 0


def _running(state_dir):
    """The running stack's endpoints, or None after saying there is none."""
    endpoints = read_status(state_dir)
    if endpoints is None:
        print(f"datalab: no datalab is running with state dir {state_dir}", file=sys.stderr)
    return endpoints


def cmd_status(args):
    endpoints = _running(args.state_dir)
    if endpoints is None:
        return 3
    if args.json:
        print(json.dumps(endpoints, indent=2))
    else:
        print_endpoints(endpoints)
    return 0


def cmd_down(args):
    endpoints = _running(args.state_dir)
    if endpoints is None:
        return 3
    pid = endpoints["pid"]
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            print("datalab: stopped.")
            return 0
        time.sleep(0.2)
    print(f"datalab: pid {pid} did not stop within 60 s", file=sys.stderr)
    return 1


def cmd_catalog_validate(args):
    """Check catalog files as contributors write them: every error names file and field."""
    from .catalog import load, shipped_catalog

    paths = args.paths or [shipped_catalog()]
    entries, errors = load(paths)
    language = environment_language()  # the terminal's: LANGUAGE, LC_ALL, LC_MESSAGES, LANG
    for error in errors:
        print(error.line(language), file=sys.stderr)
    if errors:
        print(say(f"datalab: {len(errors)} error(s) in the catalog; {len(entries)} entries are valid",
                  f"datalab : {len(errors)} erreur(s) dans le catalogue ; {len(entries)} entrées "
                  "sont valides", language), file=sys.stderr)
        return 1
    if not entries:
        where = ", ".join(map(str, paths))
        print(say(f"datalab: no catalog entry (*.json) found in {where}",
                  f"datalab : aucune entrée de catalogue (*.json) dans {where}", language),
              file=sys.stderr)
        return 1
    for entry in sorted(entries.values(), key=lambda e: (e.kind, e.id)):
        print(f"ok  {entry.kind:<12} {entry.id:<24} {entry.image_ref()}  ({entry.source})")
    return 0


def cmd_policies(args):
    """Print the S3 and Vault policies a production datalab needs, with the admin's settings."""
    from .policies import KINDS, render

    credentials = None
    if args.config:
        from pathlib import Path

        from traitlets.config import Application

        from .credentials import DatalabCredentials

        class Reader(Application):
            classes = (DatalabCredentials,)

        path = Path(args.config).expanduser().absolute()
        reader = Reader()
        reader.load_config_file(path.name, path=str(path.parent))
        credentials = DatalabCredentials(config=reader.config)
    kinds = [args.kind] if args.kind else KINDS
    for kind in kinds:
        if len(kinds) > 1:
            print(f"# --- {kind} ---")
        print(render(kind, accessor=args.vault_accessor, credentials=credentials))
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="datalab", description="Run the embedded datalab on this machine."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def add_state_dir(p):
        p.add_argument(
            "--state-dir",
            default=os.environ.get("DATALAB_STATE_DIR") or str(default_state_dir()),
            help="where users, files, S3 objects, secrets and logs are kept "
            "(default: $DATALAB_STATE_DIR or ~/.local/share/datalab)",
        )

    up = sub.add_parser("up", help="start the platform and print its URL and demo logins")
    add_state_dir(up)
    up.add_argument("--port", type=int, default=8000,
                    help="public port of the hub (default 8000); the stack uses the 16 ports from it")
    up.set_defaults(func=cmd_up)

    status = sub.add_parser("status", help="print the endpoints of the running platform")
    add_state_dir(status)
    status.add_argument("--json", action="store_true", help="print endpoints.json as is")
    status.set_defaults(func=cmd_status)

    down = sub.add_parser("down", help="stop the platform started with `datalab up`")
    add_state_dir(down)
    down.set_defaults(func=cmd_down)

    catalog = sub.add_parser("catalog", help="work with catalog entries")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True)
    validate = catalog_sub.add_parser(
        "validate", help="check catalog files; exit 1 with file: field: error lines if any")
    validate.add_argument("paths", nargs="*", metavar="PATH",
                          help="entry files or directories (default: the shipped catalog)")
    validate.set_defaults(func=cmd_catalog_validate)

    policies = sub.add_parser(
        "policies", help="print the S3 and Vault policies to give a production S3 and Vault",
        description="The policies `datalab up` applies to its own S3 and Vault, for yours: "
        "s3 (the users' role policy, JSON), s3-trust (its trust policy), vault (the ACL "
        "policy, HCL), vault-role (the JWT auth role, JSON for `vault write ... @role.json`).")
    policies.add_argument("kind", nargs="?", choices=["s3", "s3-trust", "vault", "vault-role"],
                          help="one policy (default: all of them)")
    policies.add_argument("--config", metavar="FILE",
                          help="a config file whose c.DatalabCredentials (bucket templates, KV "
                          "mount, user directory) the policies follow")
    policies.add_argument("--vault-accessor", default="<jwt accessor>", metavar="ACCESSOR",
                          help="the accessor of Vault's JWT auth mount "
                          "(vault auth list -format=json | jq -r '.\"jwt/\".accessor')")
    policies.set_defaults(func=cmd_policies)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
