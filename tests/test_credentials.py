"""The credential exchange's own checks, before any request leaves."""

import pytest

from jupyterhub_datalab.credentials import CredentialsError, s3_credentials

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("duration", [60, 899, 43201])
def test_a_session_duration_sts_refuses_is_said_as_such(duration):
    """Seen: a duration under 900 s was refused by botocore and reported as "S3 cannot be
    reached", which sent admins to look at the network."""
    with pytest.raises(CredentialsError) as e:
        s3_credentials("token", "http://127.0.0.1:9", "arn:aws:iam::role/DatalabUser", duration=duration)
    message = str(e.value)
    assert "between 900 and 43200 seconds" in message and "s3_session_duration" in message, message
    assert "cannot be reached" not in message
