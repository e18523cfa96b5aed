class ServiceError(Exception):
    """An error for the person using the panel: an HTTP status and one sentence
    (and its French, where the message has one)."""

    def __init__(self, status, message, fr=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fr = fr
