"""Who may log in, under which name, in which projects: the username from a claim
(normalised, :mod:`jupyterhub_datalab.names`), groups turned into projects through
include / exclude / transform patterns (like Onyxia's), and the email-domain and group
rules, each refusal said in French and English. A mixin of ``DatalabOAuthenticator``."""

import re

from traitlets import Bool, HasTraits, List, Unicode, validate

from ..login_handlers import refusal
from ..names import normalize_name


class AccessMixin(HasTraits):
    """Names, projects and login rules of ``DatalabOAuthenticator`` (its settings)."""

    username_fallback_to_email = Bool(
        True,
        config=True,
        help="""When the ``username_claim`` is missing, use the local part of the
        ``email`` claim (``jean.dupont@x.gouv.fr`` -> ``jean-dupont--<hash>``).""",
    )

    included_group_pattern = Unicode(
        "",
        config=True,
        help="""Only groups matching this regular expression (whole name) become
        projects; empty keeps all. Like Onyxia's ``includedGroupPattern``,
        e.g. ``datalab-.*``.""",
    )

    excluded_group_pattern = Unicode(
        "",
        config=True,
        help="""Groups matching this regular expression (whole name) are dropped,
        after inclusion. Like Onyxia's ``excludedGroupPattern``, e.g. ``.*-admins``.""",
    )

    transform_group_pattern = Unicode(
        "",
        config=True,
        help="""A regular expression applied to each kept group; the group becomes
        ``transform_group_replacement`` with its captures, e.g. pattern
        ``datalab-(.*)`` and replacement ``\\1`` turn ``datalab-stats`` into the project
        ``stats``. Like Onyxia's ``transformGroupPattern``. Project names are then
        normalised like usernames.""",
    )

    transform_group_replacement = Unicode(
        r"\1",
        config=True,
        help="Replacement for ``transform_group_pattern`` (``\\1`` is the first capture).",
    )

    @validate("included_group_pattern", "excluded_group_pattern", "transform_group_pattern")
    def _validate_pattern(self, proposal):
        try:
            re.compile(proposal["value"])
        except re.error as e:
            raise ValueError(
                f"DatalabOAuthenticator.{proposal['trait'].name} is not a valid regular "
                f"expression: {e}"
            ) from None
        return proposal["value"]

    allowed_email_domains = List(
        Unicode(),
        config=True,
        help="""Only people whose verified ``email`` ends in one of these domains may
        log in (subdomains included), e.g. ``["gouv.fr"]``. Empty allows any domain.""",
    )

    def user_info_to_username(self, user_info):
        raw = user_info.get(self.username_claim) if isinstance(self.username_claim, str) else None
        if raw is None and not isinstance(self.username_claim, str):
            raw = self.username_claim(user_info)
        if not raw and self.username_fallback_to_email and user_info.get("email"):
            raw = str(user_info["email"]).split("@", 1)[0]
        name = normalize_name(raw)
        if not name:
            raise refusal(403, "Votre identité ne comporte pas d'identifiant utilisable.",
                          f"Your identity has no usable {self.username_claim} or email.")
        return name

    def project_names(self, raw_groups):
        """Groups from the provider -> project names, through the configured patterns."""
        projects = []
        for raw in raw_groups or []:
            group = str(raw).lstrip("/")  # Keycloak's full paths: /stats -> stats
            if self.included_group_pattern and not re.fullmatch(self.included_group_pattern, group):
                continue
            if self.excluded_group_pattern and re.fullmatch(self.excluded_group_pattern, group):
                continue
            if self.transform_group_pattern:
                match = re.fullmatch(self.transform_group_pattern, group)
                if match:
                    group = match.expand(self.transform_group_replacement)
            name = normalize_name(group)
            if name and name not in projects:
                projects.append(name)
        return projects

    async def get_user_groups(self, auth_state):
        return set(self.project_names(await super().get_user_groups(auth_state)))

    async def check_allowed(self, username, auth_model):
        if auth_model is None:
            return True
        user_info = (auth_model.get("auth_state") or {}).get(self.user_auth_state_key) or {}
        if self.allowed_email_domains:
            email = str(user_info.get("email") or "").lower()
            domain = email.rsplit("@", 1)[-1] if "@" in email else ""
            allowed = any(domain == d.lower() or domain.endswith("." + d.lower())
                          for d in self.allowed_email_domains)
            if not allowed or user_info.get("email_verified") is False:
                names = ", ".join(self.allowed_email_domains)
                raise refusal(
                    403,
                    f"Ce datalab est réservé aux adresses des domaines {names} ; "
                    f"votre adresse ({email or 'aucune'}) n'en fait pas partie.",
                    f"This datalab is only open to addresses in {names}; "
                    f"yours ({email or 'none'}) is not.",
                )
        if await super().check_allowed(username, auth_model):
            return True
        if self.allowed_groups:
            names = ", ".join(sorted(self.allowed_groups))
            raise refusal(
                403,
                f"Ce datalab est réservé aux membres des groupes {names} : "
                "demandez à votre administrateur de vous y ajouter.",
                f"This datalab is only open to members of {names}: "
                "ask your administrator to add you.",
            )
        return False
