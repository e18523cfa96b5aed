class StackError(Exception):
    """A problem the person running ``datalab up`` can act on.

    The message is one line, names the component, and points at its log file.
    ``exit_code`` 2 means bad input (port taken, state dir unusable), 1 a
    component that failed.
    """

    def __init__(self, message, exit_code=1):
        super().__init__(message)
        self.exit_code = exit_code
