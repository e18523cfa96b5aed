"""Kubernetes NetworkPolicy semantics as a small checker: may this endpoint open a connection
to that one, on this port? (kubernetes.io/docs/concepts/services-networking/network-policies)

No cluster or CNI runs here and the emulated API enforces nothing, so the tests compute
reachability from the policies with the published rules:

- a pod is isolated for ingress (egress) when some policy in its namespace selects it
  (``podSelector``) with ``Ingress`` (``Egress``) in its ``policyTypes``; ``policyTypes``
  left out means ``Ingress``, plus ``Egress`` when the policy has an ``egress`` section;
- a pod not isolated in a direction allows everything in that direction; an isolated one
  allows what the union of the selecting policies' rules allows (policies only add);
- a connection needs both: the source's egress allows it and the destination's ingress
  allows it (endpoints outside the cluster have no policy of their own);
- a rule with no ``from``/``to`` matches every peer, with no ``ports`` every port; a peer
  ``podSelector`` alone means pods of the policy's namespace, ``namespaceSelector`` alone
  every pod of the selected namespaces, both together the selected pods of the selected
  namespaces; ``{}`` selects everything; ``matchLabels`` and ``matchExpressions`` (In,
  NotIn, Exists, DoesNotExist); every namespace carries ``kubernetes.io/metadata.name``;
- ``ipBlock`` (``cidr`` minus ``except``) matches addresses outside the cluster only: for
  pod addresses the documentation leaves it to the CNI, and Cilium does not match them,
  so pods are reached by selector or not at all;
- ports by number or by the destination's named port, ``endPort`` ranges, protocol (TCP
  unless said).
"""

import ipaddress
from dataclasses import dataclass, field


@dataclass(eq=False)
class Endpoint:
    """A pod (``namespace`` set) or an address outside the cluster (``namespace`` None)."""

    name: str
    namespace: str | None = None
    labels: dict = field(default_factory=dict)
    ip: str = ""
    ports: dict = field(default_factory=dict)  # the pod's named ports: name -> number

    def __repr__(self):
        return f"{self.namespace}/{self.name}" if self.namespace else f"{self.name} ({self.ip})"


def selects(selector, labels):
    """Whether a label selector (``matchLabels``, ``matchExpressions``) matches ``labels``."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, op, values = expression["key"], expression["operator"], expression.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def policy_types(spec):
    if spec.get("policyTypes"):
        return set(spec["policyTypes"])
    return {"Ingress", *(["Egress"] if "egress" in spec else [])}


class Network:
    """The policies of a cluster and its namespaces' labels."""

    def __init__(self, policies, namespaces):
        self.policies = [p for p in policies if p.get("kind") == "NetworkPolicy"]
        self.namespaces = {name: {"kubernetes.io/metadata.name": name, **(labels or {})}
                           for name, labels in namespaces.items()}

    def _selecting(self, pod, direction):
        return [p for p in self.policies
                if (p["metadata"].get("namespace") or "default") == pod.namespace
                and direction in policy_types(p["spec"])
                and selects(p["spec"].get("podSelector") or {}, pod.labels)]

    def _peer_matches(self, peer, policy_namespace, other):
        if "ipBlock" in peer:
            if other.namespace is not None:
                return False  # pod addresses: not matched by ipBlock (see the module doc)
            address = ipaddress.ip_address(other.ip)
            block = peer["ipBlock"]
            return (address in ipaddress.ip_network(block["cidr"])
                    and not any(address in ipaddress.ip_network(e) for e in block.get("except") or []))
        if other.namespace is None:
            return False  # selectors pick pods, never addresses outside the cluster
        if "namespaceSelector" in peer:
            if not selects(peer["namespaceSelector"], self.namespaces.get(other.namespace, {})):
                return False
        elif other.namespace != policy_namespace:
            return False
        return "podSelector" not in peer or selects(peer["podSelector"], other.labels)

    @staticmethod
    def _port_matches(rule_ports, dst, port, protocol):
        if not rule_ports:
            return True
        for item in rule_ports:
            if item.get("protocol", "TCP") != protocol:
                continue
            wanted = item.get("port")
            if wanted is None:
                return True
            if isinstance(wanted, str):
                wanted = dst.ports.get(wanted)
                if wanted is None:
                    continue
            if wanted <= port <= item.get("endPort", wanted):
                return True
        return False

    def _allowed(self, pod, other, dst, port, protocol, direction):
        selecting = self._selecting(pod, direction)
        if not selecting:
            return True  # not isolated in this direction
        key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        for policy in selecting:
            namespace = policy["metadata"].get("namespace") or "default"
            for rule in policy["spec"].get(key) or []:
                peers = rule.get(peers_key)
                if peers and not any(self._peer_matches(p, namespace, other) for p in peers):
                    continue
                if self._port_matches(rule.get("ports"), dst, port, protocol):
                    return True
        return False

    def allows(self, src, dst, port, protocol="TCP"):
        """Whether ``src`` may connect to ``dst`` on ``port``: its egress and ``dst``'s ingress."""
        egress = src.namespace is None or self._allowed(src, dst, dst, port, protocol, "Egress")
        ingress = dst.namespace is None or self._allowed(dst, src, dst, port, protocol, "Ingress")
        return egress and ingress
