"""The one error of the datalab service: an HTTP status and a sentence in English and French."""


class ApiError(Exception):
    """What a person is told: ``{"message": "en / fr"}`` with ``status``."""

    def __init__(self, status, en, fr=None):
        super().__init__(en)
        self.status, self.en, self.fr = status, en, fr or en

    @property
    def message(self):
        return self.en if self.fr == self.en else f"{self.en} / {self.fr}"


def not_found(owner, name):
    # the same words whether it does not exist or is not theirs: outsiders learn nothing
    return ApiError(404, f"No service {owner}/{name}.", f"Aucun service {owner}/{name}.")
