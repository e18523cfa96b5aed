"""Share links that last as long as they say: signed by a read-only identity of the service.

A pre-signed S3 URL dies with the credentials that signed it. Signed in a user's server with
its STS session (an hour here, at most 12 h on SeaweedFS), a "7 days" link answered 403
``InvalidAccessKeyId`` as soon as that session ended. So the datalab service signs links
with an identity of its own that only reads (``share_signer_file``), after checking that the
caller may read the bucket (their personal one, or a project they belong to) and that the
object exists. The signer's secret never leaves the service; a link carries only its key id.
"""

import json

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .errors import ApiError

MIN_SECONDS, MAX_SECONDS = 60, 7 * 24 * 3600  # what S3's SigV4 allows at most: 7 days
MAX_KEY_BYTES = 1024


class ShareSigner:
    def __init__(self, endpoint, region, credentials_file):
        with open(credentials_file) as f:
            creds = json.load(f)
        self.client = boto3.client(
            "s3", endpoint_url=endpoint, region_name=region,
            aws_access_key_id=creds["access_key"], aws_secret_access_key=creds["secret_key"],
            config=Config(retries={"total_max_attempts": 2, "mode": "standard"},
                          connect_timeout=3, read_timeout=10, signature_version="s3v4"))

    def sign(self, bucket, key, expires_in):
        """A GET link to ``bucket/key`` valid ``expires_in`` seconds; 404 when it is not there."""
        try:
            self.client.head_object(Bucket=bucket, Key=key)
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            if code in ("404", "NoSuchKey", "NotFound", "NoSuchBucket"):
                raise ApiError(404, "This file does not exist (any more): nothing to share.",
                               "Ce fichier n'existe pas (ou plus) : rien à partager.") from None
            raise ApiError(502, f"S3 refused to check the file ({code or 'unknown error'}).",
                           f"S3 a refusé de vérifier le fichier ({code or 'erreur inconnue'}).") from None
        except BotoCoreError:
            raise ApiError(503, "S3 cannot be reached right now; try again in a moment.",
                           "S3 est injoignable pour le moment ; réessayez dans un instant.") from None
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in)


def check_request(body, readable):
    """(bucket, key, seconds) of a share request, or a 400/403 in words. ``readable``: the
    buckets the caller may read."""
    bucket, key, seconds = body.get("bucket"), body.get("key"), body.get("expires_in", 3600)
    if not isinstance(bucket, str) or bucket not in readable:
        raise ApiError(403, "You can share only files of your own space or of your projects.",
                       "Vous ne pouvez partager que des fichiers de votre espace ou de vos projets.")
    if not isinstance(key, str) or not key or key.endswith("/") or len(key.encode()) > MAX_KEY_BYTES:
        raise ApiError(400, "key: the name of one file is required.",
                       "key : le nom d'un fichier est requis.")
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise ApiError(400, "expires_in: a link lasts from 60 seconds to 7 days (604800).",
                       "expires_in : un lien dure de 60 secondes à 7 jours (604800).")
    return bucket, key, seconds
