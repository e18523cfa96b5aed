"""The Pod Security Standards (kubernetes.io/docs/concepts/security/pod-security-standards,
levels ``baseline`` and ``restricted``, as of Kubernetes 1.28-1.33) as a small checker of pod
specs: what the API server's Pod Security admission refuses in a namespace of that level.
No library implements them offline, and the emulated API server admits everything, so the
tests ask this checker. Only the rules the datalab's objects can touch are written out."""

BASELINE_CAPABILITIES = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
                         "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID",
                         "SYS_CHROOT"}
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                      "persistentVolumeClaim", "projected", "secret"}


def pod_spec(doc):
    """The pod spec of a Pod, a Deployment (its template) or a bare spec."""
    if doc.get("kind") == "Pod":
        return doc["spec"]
    if "template" in doc.get("spec", {}):
        return doc["spec"]["template"]["spec"]
    return doc


def violations(doc, level="restricted"):
    """What Pod Security ``level`` refuses in ``doc``, as sentences (empty: admitted)."""
    spec = pod_spec(doc)
    pod = spec.get("securityContext") or {}
    containers = [*spec.get("initContainers", []), *spec.get("containers", [])]
    found = []
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key):
            found.append(f"{key} is set")
    for volume in spec.get("volumes", []):
        if "hostPath" in volume:
            found.append(f"volume {volume.get('name')} is a hostPath")
    for c in containers:
        name, sc = c.get("name"), c.get("securityContext") or {}
        if sc.get("privileged"):
            found.append(f"container {name} is privileged")
        added = set(((sc.get("capabilities") or {}).get("add")) or [])
        if added - BASELINE_CAPABILITIES:
            found.append(f"container {name} adds {sorted(added - BASELINE_CAPABILITIES)}")
        for port in c.get("ports", []):
            if port.get("hostPort"):
                found.append(f"container {name} uses hostPort {port['hostPort']}")
        if (sc.get("seccompProfile") or {}).get("type") == "Unconfined":
            found.append(f"container {name} has an Unconfined seccomp profile")
    if level == "baseline":
        return found
    for volume in spec.get("volumes", []):
        kinds = set(volume) - {"name"}
        if kinds - RESTRICTED_VOLUMES:
            found.append(f"volume {volume.get('name')} is of type {sorted(kinds)}")
    pod_seccomp = (pod.get("seccompProfile") or {}).get("type")
    for c in containers:
        name, sc = c.get("name"), c.get("securityContext") or {}
        if sc.get("allowPrivilegeEscalation") is not False:
            found.append(f"container {name} does not set allowPrivilegeEscalation: false")
        non_root = sc.get("runAsNonRoot", pod.get("runAsNonRoot"))
        if non_root is not True:
            found.append(f"container {name} does not run as non-root (runAsNonRoot: true)")
        if sc.get("runAsUser", pod.get("runAsUser")) == 0:
            found.append(f"container {name} runs as uid 0")
        if (sc.get("seccompProfile") or {}).get("type", pod_seccomp) not in ("RuntimeDefault", "Localhost"):
            found.append(f"container {name} has no RuntimeDefault seccomp profile")
        capabilities = sc.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            found.append(f"container {name} does not drop ALL capabilities")
        if set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}:
            found.append(f"container {name} adds capabilities beyond NET_BIND_SERVICE")
    return found
