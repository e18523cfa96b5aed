"""The one way a test waits: ask again until the answer is there, else fail saying what."""

import time


def wait_until(check, what, timeout=60, interval=0.3):
    """Call ``check`` until it returns something true and return that; fail after ``timeout``
    seconds naming ``what`` was awaited (a string, or a callable giving the last state)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"not {said} within {timeout} s")
        time.sleep(interval)
