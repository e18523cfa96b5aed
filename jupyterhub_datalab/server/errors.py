class ServiceError(Exception):
    """An error for the person using the panel: an HTTP status and one sentence."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message
