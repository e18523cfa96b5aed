"""Render a chart with real Helm: ``helm install`` through helm-sdkpy, in the helm venv.

Run as a subprocess by the tests (Helm reads ``KUBECONFIG`` and ``HELM_*`` only from the
environment the process started with)::

    .venv-helm/bin/python tests/helm/render.py REQUEST.json

REQUEST: ``{"chart", "release", "namespace", "values": {...}, "upgrade": bool}``. helm-sdkpy has no
dry-run, so this installs into the (emulated) API server of ``KUBECONFIG``; a new
``Configuration`` per render (reusing one hits client-go's rate limiter). Prints one JSON
line: ``{"ok": true, "manifest": ..., "notes": ...}`` or ``{"ok": false, "error": ...}``.
"""

import asyncio
import json
import sys

import helm_sdkpy


async def render(request):
    config = helm_sdkpy.Configuration(namespace=request["namespace"])
    release = await helm_sdkpy.Install(config).run(
        request["release"], request["chart"], values=request.get("values") or None,
        wait=False, timeout=60)
    if request.get("upgrade"):
        # `helm upgrade` of the same release, as a second Helm run would do it; the same
        # Configuration, whose memory driver holds the release record
        upgraded = await helm_sdkpy.Upgrade(config).run(
            request["release"], request["chart"], values=request.get("values") or None,
            wait=False, timeout=60, server_side_apply=False)
        release["upgrade_manifest"] = upgraded.get("manifest", "")
    return release


def main():
    with open(sys.argv[1]) as f:
        request = json.load(f)
    try:
        release = asyncio.run(render(request))
    except helm_sdkpy.HelmError as e:
        print(json.dumps({"ok": False, "error": str(e)}))
        return
    info = release.get("info") or {}
    print(json.dumps({"ok": True, "manifest": release.get("manifest", ""),
                      "notes": info.get("notes", ""),
                      "upgrade_manifest": release.get("upgrade_manifest")}))


if __name__ == "__main__":
    main()
