from ..messages import DatalabError


class StackError(DatalabError):
    """A problem the person running ``datalab up`` can act on.

    The message is one line, names the component, and points at its log file; the
    ``datalab`` command prints it in the terminal's language (``fr=`` gives the French).
    ``exit_code`` 2 means bad input (port taken, state dir unusable), 1 a
    component that failed.
    """

    def __init__(self, en, fr=None, *, exit_code=1):
        super().__init__(500 if exit_code == 1 else 400, en, fr)
        self.exit_code = exit_code
