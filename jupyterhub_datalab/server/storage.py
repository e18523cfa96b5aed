"""Storage service of the user's server: the user's S3 spaces, with their own credentials.

Every call runs with the server owner's temporary credentials (injected at spawn,
renewed from the hub when they expire), so S3 itself enforces who reaches what;
this module adds the user-facing rules: which spaces exist, which keys are allowed,
pagination that never lists a whole bucket, and errors in words.
"""

import json
import os
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import boto3
from botocore.config import Config
from botocore.exceptions import (BotoCoreError, ClientError, ConnectTimeoutError,
                                 EndpointConnectionError, ReadTimeoutError)

from ..credentials import CredentialsError, s3_credentials
from .errors import ServiceError, integer
from ..tokens import TokensUnavailable, user_tokens

MAX_KEY_BYTES = 1024
MAX_SEGMENT_BYTES = 255  # what SeaweedFS's filer (and most file systems) keep in one name
# Bounded waits, in seconds: a hung S3 answers in words within about
# S3_ATTEMPTS x (S3_CONNECT_TIMEOUT + S3_READ_TIMEOUT), not minutes (it once took 180 s).
S3_CONNECT_TIMEOUT = 3
S3_READ_TIMEOUT = 10
S3_ATTEMPTS = 2
SERVICE_TIMEOUT = 10  # the datalab service signing a share link
PAGE_SIZE = 200
MAX_PAGE_SIZE = 1000


class StorageError(ServiceError):
    """Something about S3 or a key, said in words."""


def check_key(key, folder=False):
    """A relative S3 key inside a space, or a StorageError saying what is wrong with it."""
    if not isinstance(key, str) or not key.strip("/"):
        raise StorageError(400, "A name is required.", "Un nom est requis.")
    # byte for byte, as listed: a key a kernel wrote in another Unicode form (NFD) was
    # listed, then normalised here and not found by any action
    if key.startswith("/"):
        raise StorageError(400, f"Names are relative to your space; remove the leading '/': {key[:80]!r}",
                           f"Les noms sont relatifs à votre espace ; retirez le « / » du début : {key[:80]!r}")
    if any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise StorageError(400, "Names cannot contain control characters (tabs, newlines...).",
                           "Les noms ne peuvent pas contenir de caractères de contrôle (tabulations, "
                           "retours à la ligne...).")
    if any(part in (".", "..") for part in key.rstrip("/").split("/")):
        raise StorageError(400, "Names cannot contain '.' or '..' path segments.",
                           "Les noms ne peuvent pas contenir de segments « . » ou « .. ».")
    if "//" in key:
        raise StorageError(400, "Names cannot contain empty path segments ('//').",
                           "Les noms ne peuvent pas contenir de segments vides (« // »).")
    if "\\" in key:
        raise StorageError(400, "Names cannot contain '\\': use '/' between folders.",
                           "Les noms ne peuvent pas contenir « \\ » : séparez les dossiers par « / ».")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise StorageError(400, f"This name is too long: at most {MAX_KEY_BYTES} bytes.",
                           f"Ce nom est trop long : {MAX_KEY_BYTES} octets au plus.")
    long = next((part for part in key.split("/") if len(part.encode("utf-8")) > MAX_SEGMENT_BYTES), None)
    if long is not None:
        raise StorageError(400, f"Each part of a name (between '/') can have at most {MAX_SEGMENT_BYTES} "
                                f"bytes; this one has {len(long.encode('utf-8'))}: {long[:40]}...",
                           f"Chaque partie d'un nom (entre « / ») a au plus {MAX_SEGMENT_BYTES} octets ; "
                           f"celle-ci en a {len(long.encode('utf-8'))} : {long[:40]}...")
    if folder and not key.endswith("/"):
        key += "/"
    return key


def check_prefix(prefix):
    """'' (the space's root) or a folder key ending in '/'."""
    if not prefix:
        return ""
    return check_key(prefix, folder=True)


def _exists(client, bucket, key):
    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


@contextmanager
def s3_errors(what, write=False):
    """Any boto error inside becomes a StorageError saying that we cannot ``what`` (an
    (English, French) pair of verb phrases); ``write``: S3 may have done it even when no
    answer came."""
    try:
        yield
    except (ClientError, BotoCoreError) as e:
        raise explain(e, what, write) from None


def explain(error, what, write=False):
    """Turn a boto error into a StorageError a person can act on, in both languages."""
    what, quoi = what if isinstance(what, tuple) else (what, what)
    if isinstance(error, ReadTimeoutError) and write:
        return StorageError(504, f"S3 did not answer in time: it may have been done anyway ({what}). "
                                 "Refresh to check before trying again.",
                            f"S3 n'a pas répondu à temps : c'est peut-être fait quand même ({quoi}). "
                            "Actualisez pour le vérifier avant de réessayer.")
    if isinstance(error, (ReadTimeoutError, ConnectTimeoutError)):
        return StorageError(503, f"S3 did not answer within {S3_READ_TIMEOUT} s; try again in a moment.",
                            f"S3 n'a pas répondu en {S3_READ_TIMEOUT} s ; réessayez dans un instant.")
    if isinstance(error, (EndpointConnectionError, BotoCoreError)) and not isinstance(error, ClientError):
        return StorageError(503, "S3 cannot be reached right now; try again in a moment.",
                            "S3 est injoignable pour le moment ; réessayez dans un instant.")
    code = error.response.get("Error", {}).get("Code", "")
    if code in ("AccessDenied", "403", "AllAccessDisabled"):
        return StorageError(403, f"Permission denied: you cannot {what}.",
                            f"Permission refusée : vous ne pouvez pas {quoi}.")
    if code in ("NoSuchKey", "404", "NotFound"):
        return StorageError(404, f"Not found: cannot {what}; it may have been deleted.",
                            f"Introuvable : impossible de {quoi} ; c'est peut-être supprimé.")
    if code == "NoSuchBucket":
        return StorageError(404, "This space does not exist yet.", "Cet espace n'existe pas encore.")
    if code in ("ExpiredToken", "InvalidAccessKeyId", "InvalidToken", "SignatureDoesNotMatch"):
        return StorageError(401, "Your S3 credentials expired; reload the page or log in again.",
                            "Vos identifiants S3 ont expiré ; rechargez la page ou reconnectez-vous.")
    return StorageError(502, f"S3 refused to {what} ({code or 'unknown error'}).",
                        f"S3 a refusé de {quoi} ({code or 'erreur inconnue'}).")


class Storage:
    """The owner's S3 spaces."""

    def __init__(self, env=None, service_url=None):
        env = env if env is not None else os.environ
        self.env = env
        # where share links are signed: DatalabServerApp.service_url (the spawner's variable)
        self.service_url = (env.get("DATALAB_SERVICE_URL", "") if service_url is None
                            else service_url).rstrip("/")
        self.username = env.get("DATALAB_USER") or env.get("JUPYTERHUB_USER", "")
        self.endpoint = env.get("AWS_ENDPOINT_URL", "")
        self.region = env.get("AWS_DEFAULT_REGION", "us-east-1")
        self.role_arn = env.get("DATALAB_S3_ROLE_ARN", "")
        self._creds = {k: env.get(k) for k in
                       ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
        self._expires_at = float(env.get("DATALAB_S3_EXPIRES_AT") or 0)
        self._client = None

    @property
    def configured(self):
        return bool(self.endpoint and self._creds.get("AWS_ACCESS_KEY_ID"))

    def spaces(self):
        """The spaces this user may browse (personal first)."""
        personal = self.env.get("DATALAB_S3_PERSONAL", "")
        spaces = []
        if personal.startswith("s3://"):
            bucket, _, prefix = personal[5:].partition("/")
            spaces.append({"id": "personal", "bucket": bucket, "prefix": prefix, "url": personal})
        for var in sorted(self.env):
            url = self.env[var]
            if var.startswith("DATALAB_S3_PROJECT_") and url.startswith("s3://"):
                bucket, _, prefix = url[5:].partition("/")
                spaces.append({"id": bucket, "bucket": bucket, "prefix": prefix, "url": url,
                               "project": var[len("DATALAB_S3_PROJECT_"):].lower().replace("_", "-")})
        return spaces

    def space(self, space_id):
        for s in self.spaces():
            if s["id"] == space_id:
                return s
        raise StorageError(404, f"No space named {str(space_id)[:40]!r} for you.",
                           f"Vous n'avez pas d'espace nommé {str(space_id)[:40]!r}.")

    def client(self):
        """An S3 client with valid credentials, renewed through the hub when needed."""
        if not self.configured:
            raise StorageError(503, "No S3 credentials in this server: storage is not configured.",
                               "Ce serveur n'a pas d'identifiants S3 : le stockage n'est pas configuré.")
        if self._expires_at and self._expires_at - time.time() < 120:
            self._renew()
        if self._client is None:
            self._client = boto3.client(
                "s3", endpoint_url=self.endpoint, region_name=self.region,
                aws_access_key_id=self._creds["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=self._creds["AWS_SECRET_ACCESS_KEY"],
                aws_session_token=self._creds["AWS_SESSION_TOKEN"],
                config=Config(retries={"total_max_attempts": S3_ATTEMPTS, "mode": "standard"},
                              connect_timeout=S3_CONNECT_TIMEOUT, read_timeout=S3_READ_TIMEOUT,
                              signature_version="s3v4"),
            )
        return self._client

    def _renew(self):
        try:
            identity = user_tokens(self.env.get("JUPYTERHUB_API_URL"),
                                   self.env.get("JUPYTERHUB_API_TOKEN"))["identity_token"]
            fresh = s3_credentials(identity, self.endpoint, self.role_arn, self.region,
                                   session_name=self.username or "datalab")
        except (TokensUnavailable, CredentialsError, KeyError) as e:
            raise StorageError(401, f"Your S3 credentials expired and could not be renewed: {e}",
                               f"Vos identifiants S3 ont expiré et n'ont pas pu être renouvelés : {e}") from None
        self._expires_at = fresh.pop("expires_at")
        self._creds = fresh
        self._client = None

    def _where(self, space_id, key):
        s = self.space(space_id)
        return s["bucket"], s["prefix"] + key

    # -- operations ----------------------------------------------------------

    def list(self, space_id, prefix="", token=None, limit=PAGE_SIZE):
        """One page of a folder: sub-folders and files, never the whole bucket."""
        prefix = check_prefix(prefix)
        s = self.space(space_id)
        limit = max(1, min(int(limit or PAGE_SIZE), MAX_PAGE_SIZE))
        params = {"Bucket": s["bucket"], "Prefix": s["prefix"] + prefix, "Delimiter": "/",
                  "MaxKeys": limit}
        if token:
            params["ContinuationToken"] = token
        with s3_errors(("list this folder", "lister ce dossier")):
            page = self.client().list_objects_v2(**params)
        strip = len(s["prefix"])
        folders = [{"key": p["Prefix"][strip:], "name": p["Prefix"][len(params["Prefix"]):].rstrip("/")}
                   for p in page.get("CommonPrefixes", [])]
        files = [{"key": o["Key"][strip:], "name": o["Key"][len(params["Prefix"]):],
                  "size": o["Size"], "modified": o["LastModified"].isoformat()}
                 for o in page.get("Contents", []) if o["Key"] != params["Prefix"]]
        return {"space": space_id, "prefix": prefix, "folders": folders, "files": files,
                "next_token": page.get("NextContinuationToken")}

    def head(self, space_id, key):
        bucket, full = self._where(space_id, check_key(key))
        with s3_errors((f"read {key}", f"lire {key}")):
            return self.client().head_object(Bucket=bucket, Key=full)

    def open(self, space_id, key):
        """The object's streaming body and metadata."""
        bucket, full = self._where(space_id, check_key(key))
        with s3_errors((f"read {key}", f"lire {key}")):
            return self.client().get_object(Bucket=bucket, Key=full)

    def mkdir(self, space_id, key):
        bucket, full = self._where(space_id, check_key(key, folder=True))
        with s3_errors(("create this folder", "créer ce dossier"), write=True):
            self.client().put_object(Bucket=bucket, Key=full, Body=b"")
        return {"key": full[len(self.space(space_id)["prefix"]):]}

    def delete(self, space_id, key):
        """Delete a file, or a folder (``key`` ending in '/') and all it holds."""
        folder = key.endswith("/")
        key = check_key(key, folder=folder)
        bucket, full = self._where(space_id, key)
        client = self.client()
        deleted = 0
        with s3_errors((f"delete {key}", f"supprimer {key}"), write=True):
            if not folder:
                client.head_object(Bucket=bucket, Key=full)
                client.delete_object(Bucket=bucket, Key=full)
                return {"deleted": 1}
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=full):
                batch = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                if batch:
                    client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
                    deleted += len(batch)
        return {"deleted": deleted}

    def move(self, space_id, source, target, overwrite=False):
        """Rename or move a file inside a space (copy, then delete). An existing target is
        replaced only when asked (``overwrite``): a rename once silently replaced it."""
        source, target = check_key(source), check_key(target)
        if source.endswith("/") or target.endswith("/"):
            raise StorageError(400, "Only files can be renamed for now; folders cannot.",
                               "Seuls les fichiers peuvent être renommés pour l'instant, pas les dossiers.")
        if not isinstance(overwrite, bool):
            raise StorageError(400, "'overwrite' must be true or false.",
                               "« overwrite » doit valoir true ou false.")
        bucket, src = self._where(space_id, source)
        _, dst = self._where(space_id, target)
        client = self.client()
        with s3_errors((f"move {source}", f"déplacer {source}"), write=True):
            client.head_object(Bucket=bucket, Key=src)
            if not overwrite and src != dst and _exists(client, bucket, dst):
                raise StorageError(409, f"{target} already exists: choose another name, or replace it "
                                        "(overwrite).",
                                   f"{target} existe déjà : choisissez un autre nom, ou remplacez-le "
                                   "(overwrite).")
            client.copy({"Bucket": bucket, "Key": src}, bucket, dst)
            client.delete_object(Bucket=bucket, Key=src)
        return {"key": target}

    def share(self, space_id, key, expires_in):
        """A download link valid ``expires_in`` seconds (1 minute to 7 days), with its real end.

        Signed by the datalab service's read-only identity when the platform has one (the
        link then outlives this server's STS session); otherwise with the session, and cut
        to what it has left, which the answer says: a link signed with a session dies with
        it (a "7 days" link once failed after the session's hour)."""
        try:
            expires_in = integer(expires_in, "expires_in")
        except ServiceError:
            expires_in = None
        if expires_in is None:
            raise StorageError(400, "The expiry must be a number of seconds.",
                               "La durée doit être un nombre de secondes.")
        if not 60 <= expires_in <= 7 * 24 * 3600:
            raise StorageError(400, "A link can last from 1 minute to 7 days.",
                               "Un lien dure de 1 minute à 7 jours.")
        self.head(space_id, key)  # share only what exists and what you can read
        bucket, full = self._where(space_id, check_key(key))
        signed = self._service_link(bucket, full, expires_in)
        if signed is not None:
            return {"url": signed["url"], "expires_in": expires_in, "expires_at": signed["expires_at"],
                    "capped": False}
        client = self.client()  # renewed first when it was about to end
        left = int(self._expires_at - time.time()) - 60 if self._expires_at else expires_in
        lasts = max(60, min(expires_in, left))
        url = client.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": full}, ExpiresIn=lasts)
        return {"url": url, "expires_in": lasts, "expires_at": time.time() + lasts,
                "capped": lasts < expires_in}

    def _service_link(self, bucket, key, expires_in):
        """The datalab service's signed link, or None when it has no signer (or no service)."""
        base = self.service_url
        if not base:
            return None
        request = urllib.request.Request(
            f"{base}/api/links", method="POST",
            data=json.dumps({"bucket": bucket, "key": key, "expires_in": expires_in}).encode(),
            headers={"Authorization": f"token {self.env.get('JUPYTERHUB_API_TOKEN', '')}",
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=SERVICE_TIMEOUT) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as e:
            if e.code == 503:
                return None  # no signing identity: the session signs, capped
            try:
                answer = json.loads(e.read())
                message, fr = answer.get("en") or answer.get("message", ""), answer.get("fr", "")
            except (ValueError, AttributeError):
                message = fr = ""
            raise StorageError(e.code, message or f"The datalab service refused the link (HTTP {e.code}).",
                               fr or f"Le service datalab a refusé le lien (HTTP {e.code}).") from None
        except (OSError, ValueError):
            raise StorageError(503, "The datalab service, which signs share links, does not answer; "
                                    "try again in a moment.",
                               "Le service datalab, qui signe les liens de partage, ne répond pas ; "
                               "réessayez dans un instant.") from None

    def preview(self, space_id, key, rows=20):
        """The first rows of a CSV or Parquet file, without reading all of it."""
        if key.lower().endswith(".parquet"):
            return self.preview_parquet(space_id, key, rows)
        return self.preview_csv(space_id, key, rows)

    def preview_parquet(self, space_id, key, rows=20):
        """First rows of a Parquet file: its footer, then only the first row group's pages."""
        try:
            import pyarrow.parquet as pq
            from pyarrow import fs
        except ImportError:
            raise StorageError(501, "Previewing Parquet files needs pyarrow in this server's "
                                    "environment: pip install pyarrow",
                               "L'aperçu des fichiers Parquet demande pyarrow dans l'environnement "
                               "de ce serveur : pip install pyarrow") from None
        bucket, full = self._where(space_id, check_key(key))
        self.client()  # renews the credentials if needed
        s3 = fs.S3FileSystem(
            access_key=self._creds["AWS_ACCESS_KEY_ID"],
            secret_key=self._creds["AWS_SECRET_ACCESS_KEY"],
            session_token=self._creds["AWS_SESSION_TOKEN"],
            endpoint_override=self.endpoint, region=self.region,
            scheme="https" if self.endpoint.startswith("https") else "http")
        try:
            with s3.open_input_file(f"{bucket}/{full}") as f:
                batch = next(pq.ParquetFile(f).iter_batches(batch_size=rows), None)
        except OSError as e:
            text = str(e)
            if "ACCESS_DENIED" in text or "403" in text:
                raise StorageError(403, f"Permission denied: you cannot read {key}.",
                                   f"Permission refusée : vous ne pouvez pas lire {key}.") from None
            if "NOT_FOUND" in text or "404" in text or "does not exist" in text:
                raise StorageError(404, f"Not found: cannot read {key}; it may have been deleted.",
                                   f"Introuvable : impossible de lire {key} ; il a peut-être été supprimé.") from None
            raise StorageError(422, f"{key} is not a readable Parquet file.",
                               f"{key} n'est pas un fichier Parquet lisible.") from None
        except Exception:
            raise StorageError(422, f"{key} is not a readable Parquet file.",
                               f"{key} n'est pas un fichier Parquet lisible.") from None
        if batch is None:
            return {"columns": [], "rows": []}
        table = batch.to_pylist()
        columns = batch.schema.names
        return {"columns": columns, "rows": [[_cell(r[c]) for c in columns] for r in table]}

    def preview_csv(self, space_id, key, rows=20, max_bytes=65536):
        """The first rows of a CSV file, read from its first bytes only."""
        import csv

        bucket, full = self._where(space_id, check_key(key))
        with s3_errors((f"read {key}", f"lire {key}")):
            body = self.client().get_object(Bucket=bucket, Key=full,
                                            Range=f"bytes=0-{max_bytes - 1}")["Body"].read()
        text = body.decode("utf-8", "replace")
        lines = text.splitlines()
        if len(body) == max_bytes and lines:
            lines = lines[:-1]  # the last line may be cut
        try:
            dialect = csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        table = list(csv.reader(lines[: rows + 1], dialect))
        return {"columns": table[0] if table else [], "rows": table[1:]}


def _cell(value):
    """A preview cell as text (dates, decimals and nulls included)."""
    return "" if value is None else str(value)
