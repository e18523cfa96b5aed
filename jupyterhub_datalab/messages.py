"""Bilingual messages, framework-free: the one error type of the datalab and its words.

Every sentence a person reads exists in English and French. An error carries its HTTP
status, both sentences and, when one input is at fault, the ``field`` naming it; each
surface answers in its caller's language through one small adapter: the user's server
(``server/handlers/base.py``), the datalab service (``service/handlers.py``), the hub's
spawn refusals and the ``datalab`` command (``text(environment_language())``).

Seen before: eleven error helpers with three argument orders (``ServiceError(status,
message, fr)``, ``BackendError(en, fr, status)`` (now all ``(status, en, fr=)``), ``StackError(message, exit_code)``...),
and 36 storage and secrets errors in English only. The helpers are now subclasses of
:class:`DatalabError`; ``fr=`` is a keyword everywhere.
"""

from typing import NamedTuple

from .i18n import LANGUAGES


class Message(NamedTuple):
    """One sentence (or verb phrase) in English and French; a pair, so ``en, fr = message``."""

    en: str
    fr: str

    def text(self, language="en"):
        return self.fr if language == "fr" and self.fr else self.en

    def __str__(self):
        return both(self.en, self.fr)


def both(en, fr):
    """``"en / fr"``: both languages at once, for logs and answers to callers that asked none."""
    return en if not fr or fr == en else f"{en} / {fr}"


def say(en, fr, language=None):
    """The sentence in ``language`` (``en``/``fr``); both at once when the caller named none."""
    return Message(en, fr).text(language) if language in LANGUAGES else both(en, fr)


class DatalabError(Exception):
    """What a person is told when something cannot be done: ``status`` (HTTP), the
    sentence in English and French, and the ``field`` at fault, if one is.

    ``DatalabError(404, "No space named 'x'.", fr="Aucun espace nommé 'x'.")``. ``fr``
    defaults to the English (``has_french`` says whether there is any): a unit test
    reads every error raised in the package and asks for its French.
    """

    status = 500  # the default of subclasses that do not say

    def __init__(self, status=None, en="", fr=None, *, field=None):
        super().__init__(en)
        if status is not None:
            self.status = status
        self.en, self.fr, self.field = en, fr or en, field
        self.has_french = bool(fr)

    @property
    def words(self):
        return Message(self.en, self.fr)

    @property
    def message(self):
        """Both languages (``en / fr``): what logs and stored states keep."""
        return both(self.en, self.fr)

    def text(self, language="en"):
        """The sentence in ``language`` (``en`` or ``fr``)."""
        return self.words.text(language)

    def to_json(self, language=None):
        """The API's error body: ``message`` in the caller's ``language`` (both languages
        when the caller asked none), ``en`` and ``fr`` always, ``field`` when one is named."""
        body = {"message": self.text(language) if language in LANGUAGES else self.message,
                "en": self.en, "fr": self.fr}
        if self.field:
            body["field"] = self.field
        return body

    def __str__(self):
        return self.en
