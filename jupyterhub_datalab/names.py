"""Name normalisation: one rule for usernames and project names everywhere.

Names end up in Kubernetes namespaces, bucket names, Vault paths and IAM
policies, where a claim value is expanded before wildcard matching: a username
``*`` or ``b?b`` would widen someone's access. So every name is reduced to an
RFC 1123 label (``[a-z0-9-]``, at most 40 characters, leaving room for prefixes
such as ``user-``), and no two different raw names end on the same result:

- a raw name that already is such a label, with no ``--`` in it, is kept as is;
- any other is slugged and given ``--`` plus a hash of the raw name, so it can
  collide neither with a kept name (those have no ``--``) nor with another one.

Every name derived from a platform name is made here, by one function each, and
imported everywhere (hub, server, service, devstack): namespaces ``user-<name>`` and
``project-<group>``, buckets, Vault paths, and the names KubeSpawner gives a server's
pod and disk. KubeSpawner reads ``--`` as its own collision marker and slugs such a
name again (``jean-dupont--c6314bcbcd`` -> ``jean-dupont-c6314bcbcd---aeaf18ec``), so
``pvc_name``/``pod_name`` follow its rules (``kubespawner/slugs.py``, version 7) rather
than assume the platform name (seen: apps of such users mounted a disk that did not
exist). This module imports no framework, so it is the same in every process.
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


def platform_name(name):
    """A username or project as the platform already has it (``normalize_name``'s output,
    hashed or not), else normalised. Normalising twice would hash a hashed name again:
    ``jean-dupont--c6314bcbcd`` became ``jean-dupont-c6314bcbcd--aeaf18ecb6``."""
    return name if is_platform_name(name) else normalize_name(name)


# -- spaces: namespaces, buckets, Vault paths -----------------------------------------

USER_NAMESPACE_PREFIX = "user-"
PROJECT_NAMESPACE_PREFIX = "project-"
PERSONAL_BUCKET_TEMPLATE = "user-{username}"
PROJECT_BUCKET_TEMPLATE = "project-{project}"
VAULT_USER_DIR_TEMPLATE = "users/{username}"
VAULT_PROJECT_DIR_TEMPLATE = "projects/{project}"


def user_namespace(username):
    """The user's Kubernetes namespace: ``alice`` -> ``user-alice``."""
    return USER_NAMESPACE_PREFIX + platform_name(username)


def project_namespace(project):
    """A project's Kubernetes namespace: ``stats-2024`` -> ``project-stats-2024``."""
    return PROJECT_NAMESPACE_PREFIX + platform_name(project)


def personal_bucket(username, template=PERSONAL_BUCKET_TEMPLATE):
    """The user's own bucket: ``alice`` -> ``user-alice`` (``{username}`` in ``template``)."""
    return template.format(username=platform_name(username))


def project_bucket(project, template=PROJECT_BUCKET_TEMPLATE):
    """A project's shared bucket: ``stats`` -> ``project-stats`` (``{project}`` in ``template``)."""
    return template.format(project=platform_name(project))


def vault_user_dir(username, template=VAULT_USER_DIR_TEMPLATE):
    """The user's directory in the KV mount (Onyxia's ``VAULT_TOP_DIR``): ``users/alice``."""
    return template.format(username=platform_name(username))


def vault_project_dir(project, template=VAULT_PROJECT_DIR_TEMPLATE):
    """A project's directory in the KV mount: ``projects/stats``."""
    return template.format(project=platform_name(project))


# -- KubeSpawner's names for a server (its ``slug_scheme = "safe"``) -------------------

KUBESPAWNER_SLUG_MAX = 48  # KubeSpawner's bound for each name put in its templates
_SLUG_HASH = 8
_K8S_OBJECT = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")


def _safe_substring(name, max_length):
    """KubeSpawner's ``_extract_safe_name``: lowercase, ``[a-z0-9-]``, starts with a letter."""
    safe = re.sub(r"[^a-z0-9]+", "-", name.lower())
    safe = safe.lstrip("-")[:max_length].rstrip("-")
    if safe and not safe[0].isalpha():
        safe = "x-" + safe[: max_length - 2]
    return safe or "x"


def _strip_and_hash(name, max_length):
    digest = hashlib.sha256(name.encode("utf8")).hexdigest()[:_SLUG_HASH]
    return f"{_safe_substring(name, max_length - (_SLUG_HASH + 3))}---{digest}"


def kubespawner_slug(name, max_length=KUBESPAWNER_SLUG_MAX):
    """``{username}`` as KubeSpawner fills it (``safe_slug``): kept if it is an object
    name (starts with a letter) without ``--``, else slug ``---`` hash."""
    if "--" not in name and _K8S_OBJECT.match(name) and len(name) <= min(max_length, 63):
        return name
    return _strip_and_hash(name, max_length)


def _multi_slug(names, max_length):
    hasher = hashlib.sha256(names[0].encode("utf8"))
    for name in names[1:]:
        hasher.update(b"\xff")
        hasher.update(name.encode("utf8"))
    per_name = (max_length - (_SLUG_HASH + 1)) // len(names) - 2
    slugs = [_safe_substring(name, per_name) for name in names]
    return f"{'--'.join(slugs)}---{hasher.hexdigest()[:_SLUG_HASH]}"


def kubespawner_user_server(username, servername=""):
    """``{user_server}`` as KubeSpawner fills it: ``alice``, ``alice--lab``, or one hash."""
    user = kubespawner_slug(username)
    server = kubespawner_slug(servername) if servername else ""
    if len(user) + len(server) + 2 > KUBESPAWNER_SLUG_MAX:
        return _multi_slug([username, servername], KUBESPAWNER_SLUG_MAX)
    return f"{user}--{server}" if servername else user


def kubespawner_name(template, username, servername=""):
    """A KubeSpawner name template (``{username}``, ``{servername}``, ``{user_server}``)
    filled as KubeSpawner does, trailing ``-`` of an empty server name dropped."""
    rendered = template.format(
        username=kubespawner_slug(username),
        servername=kubespawner_slug(servername) if servername else "",
        user_server=kubespawner_user_server(username, servername),
        unescaped_username=username, unescaped_servername=servername)
    return rendered if template.endswith("-") else rendered.rstrip("-")


def pvc_name(username, servername="", template="claim-{user_server}"):
    """The disk KubeSpawner makes for a server (its ``pvc_name_template``):
    ``claim-alice`` for the default server, ``claim-alice--lab`` for ``lab``. Companions
    mount the default server's: ``pvc_name(owner)``."""
    return kubespawner_name(template, username, servername)


def pod_name(username, servername="", template="jupyter-{user_server}"):
    """The pod KubeSpawner starts for a server (its ``pod_name_template``)."""
    return kubespawner_name(template, username, servername)


# -- variables ----------------------------------------------------------------------

def env_suffix(name):
    """A platform name as the end of a variable name: ``stats-2024`` -> ``STATS_2024``."""
    return re.sub(r"[^A-Z0-9]+", "_", str(name).upper()).strip("_")


def companion_suffix(owner, name, caller):
    """``DATABASE_URL_<SUFFIX>`` of a companion as ``caller``'s kernels see it: its name for
    one's own, owner ``___`` name for the others' (``cache`` of bob -> ``BOB___CACHE``).

    One-to-one: names are ``[a-z0-9-]`` with at most ``--`` in them (``-`` -> ``_``), so
    an own suffix never holds ``___`` and the others' split at their only one (seen before:
    alice's own ``bob-cache`` and bob's shared ``cache`` both gave ``BOB_CACHE``)."""
    part = lambda text: str(text).upper().replace("-", "_")
    return part(name) if owner == caller else f"{part(owner)}___{part(name)}"
