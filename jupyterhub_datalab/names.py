"""Name normalisation: one rule for usernames and project names everywhere.

Names end up in Kubernetes namespaces, bucket names, Vault paths and IAM
policies, where a claim value is expanded before wildcard matching: a username
``*`` or ``b?b`` would widen someone's access. So every name is reduced to an
RFC 1123 label (``[a-z0-9-]``, at most 40 characters, leaving room for prefixes
such as ``user-``), and no two different raw names end on the same result:

- a raw name that already is such a label, with no ``--`` in it, is kept as is;
- any other is slugged and given ``--`` plus a hash of the raw name, so it can
  collide neither with a kept name (those have no ``--``) nor with another one.
"""

import hashlib
import re
import unicodedata

MAX_LENGTH = 40
HASH_LENGTH = 10
_SAFE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


_HASHED = re.compile(rf"^[a-z0-9]+(-[a-z0-9]+)*--[0-9a-f]{{{HASH_LENGTH}}}$")


def is_safe_name(name):
    return bool(_SAFE.match(name)) and len(name) <= MAX_LENGTH and "--" not in name


def is_platform_name(name):
    """Whether ``name`` is what ``normalize_name`` gives: kept as is, or slug ``--`` hash.

    Both are RFC 1123 labels. Namespaces, buckets and paths accept either (seen: refusing
    ``--`` kept every user whose name needed hashing, ``jean.dupont`` or an e-mail, from
    ever spawning on Kubernetes)."""
    return is_safe_name(name) or (bool(_HASHED.match(name)) and len(name) <= MAX_LENGTH)


def normalize_name(raw):
    """The platform name for a raw username or group name; '' for an empty one."""
    if raw is None:
        return ""
    raw = str(raw)
    if is_safe_name(raw):
        return raw
    if not raw.strip():
        return ""
    ascii_text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = re.sub(r"-+", "-", slug)[: MAX_LENGTH - HASH_LENGTH - 2].strip("-")
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:HASH_LENGTH]
    return f"{slug}--{digest}" if slug else f"x--{digest}"


def env_suffix(name):
    """A platform name as the end of a variable name: ``stats-2024`` -> ``STATS_2024``."""
    return re.sub(r"[^A-Z0-9]+", "_", str(name).upper()).strip("_")


def companion_suffix(owner, name, caller):
    """``DATABASE_URL_<SUFFIX>`` of a companion as ``caller``'s kernels see it: its name for
    one's own, owner ``___`` name for the others' (``cache`` of bob -> ``BOB___CACHE``).

    One-to-one: names are ``[a-z0-9-]`` with at most ``--`` in them (``-`` -> ``_``), so
    an own suffix never holds ``___`` and the others' split at their only one (seen before:
    alice's own ``bob-cache`` and bob's shared ``cache`` both gave ``BOB_CACHE``)."""
    part = lambda text: str(text).upper().replace("-", "_")  # noqa: E731
    return part(name) if owner == caller else f"{part(owner)}___{part(name)}"
