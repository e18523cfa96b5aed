"""Zero to JupyterHub 4.3.3's NetworkPolicies of the hub and the proxy, and the labels of
its pods, rebuilt from the datalab chart's ``jupyterhub:`` values.

The subchart cannot be fetched here (tests/helm/test_chart.py renders the datalab chart
without it), so this is a transcription of z2jh's ``templates/hub/netpol.yaml`` and
``templates/proxy/netpol.yaml`` (chp) with their defaults: a stand-in, named as such.
What matters for the datalab: the hub's ingress on its API port 8081 from pods labelled
``hub.jupyter.org/network-access-hub`` (any namespace with
``interNamespaceAccessLabels: accept``), ``allowedIngressPorts`` from anywhere, and the
hub's and proxy's egress to users' servers by ``podSelector`` *in their own namespace*
plus ``egressAllowRules`` given as ``ipBlock`` (privateIPs...), which do not reach pods
elsewhere on a CNI such as Cilium.
"""

PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
METADATA = "169.254.169.254/32"
DNS = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]


def labels(component, release):
    return {"app": "jupyterhub", "component": component, "release": release}


def _egress_allow_rules(rules):
    """z2jh's ``jupyterhub.networkPolicy.renderEgressRules`` with every rule on (the hub's
    and the proxy's defaults)."""
    del rules
    return [
        {"to": [{"ipBlock": {"cidr": METADATA}}], "ports": DNS},
        {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
         "ports": DNS},
        {"to": [{"ipBlock": {"cidr": c}} for c in PRIVATE], "ports": DNS},
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [*PRIVATE, METADATA]}}]},
        {"to": [{"ipBlock": {"cidr": c}} for c in PRIVATE]},
        {"to": [{"ipBlock": {"cidr": METADATA}}]},
    ]


def _from_labelled(label, accept):
    peers = [{"podSelector": {"matchLabels": {label: "true"}}}]
    if accept:
        peers[0]["namespaceSelector"] = {"matchLabels": {}}
        peers.append({"namespaceSelector": {"matchLabels": {label: "true"}}})
    return peers


def policies(values, release, namespace):
    """The hub's and the proxy's NetworkPolicies for the chart's ``jupyterhub:`` values."""
    hub_np = ((values.get("hub") or {}).get("networkPolicy") or {})
    chp_np = (((values.get("proxy") or {}).get("chp") or {}).get("networkPolicy") or {})
    accept = hub_np.get("interNamespaceAccessLabels") == "accept"
    hub_ingress = []
    if hub_np.get("allowedIngressPorts"):
        hub_ingress.append({"ports": [{"port": p} for p in hub_np["allowedIngressPorts"]]})
    hub_ingress.append({"ports": [{"port": "http"}],
                        "from": _from_labelled("hub.jupyter.org/network-access-hub", accept)})
    hub_ingress += hub_np.get("ingress") or []
    hub = {"kind": "NetworkPolicy", "metadata": {"name": "hub", "namespace": namespace},
           "spec": {"podSelector": {"matchLabels": labels("hub", release)},
                    "policyTypes": ["Ingress", "Egress"], "ingress": hub_ingress,
                    "egress": [
                        {"to": [{"podSelector": {"matchLabels": labels("proxy", release)}}],
                         "ports": [{"port": 8001}]},
                        {"to": [{"podSelector": {"matchLabels": labels("singleuser-server", release)}}],
                         "ports": [{"port": 8888}]},
                        *_egress_allow_rules(hub_np.get("egressAllowRules")),
                        *(hub_np.get("egress") or [])]}}
    proxy = {"kind": "NetworkPolicy", "metadata": {"name": "proxy", "namespace": namespace},
             "spec": {"podSelector": {"matchLabels": labels("proxy", release)},
                      "policyTypes": ["Ingress", "Egress"],
                      "ingress": [{"ports": [{"port": "http"}]},
                                  {"ports": [{"port": "api"}],
                                   "from": _from_labelled("hub.jupyter.org/network-access-proxy-api",
                                                          accept)}],
                      "egress": [
                          {"to": [{"podSelector": {"matchLabels": labels("hub", release)}}],
                           "ports": [{"port": 8081}]},
                          {"to": [{"podSelector": {"matchLabels": labels("singleuser-server", release)}}],
                           "ports": [{"port": 8888}]},
                          *_egress_allow_rules(chp_np.get("egressAllowRules")),
                          *(chp_np.get("egress") or [])]}}
    return [hub, proxy]


def server_labels(release):
    """A user's server pod as KubeSpawner labels it under z2jh (``singleuser.extraLabels``)."""
    return {**labels("singleuser-server", release), "hub.jupyter.org/network-access-hub": "true"}
