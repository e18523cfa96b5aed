"""Storage API speed and memory, beside raw boto3 on the same SeaweedFS in the same run.

    .venv/bin/python benchmarks/storage.py [--upload-mb 1024] [--objects 100000]

Prints:
  upload / download throughput through the panel's API (alice's real server, via the
  proxy) and with raw boto3 (alice's injected credentials), and their ratio (goal >= 0.8);
  the server's peak RSS growth during the API upload (goal < 100 MB);
  time to the first page of a prefix holding --objects objects through the API, beside
  one raw list_objects_v2 call.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import requests
from boto3.s3.transfer import TransferConfig

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.stackctl import (  # noqa: E402
    RunningStack, free_base_port, oidc_login, start_server)

CHUNK = 8 * 1024 * 1024


def blob(size_mb):
    """A generator of size_mb MiB of incompressible bytes, without holding them all."""
    block = os.urandom(CHUNK)
    for _ in range(size_mb * 1024 * 1024 // CHUNK):
        yield block


class PeakRSS(threading.Thread):
    def __init__(self, proc):
        super().__init__(daemon=True)
        self.proc, self.peak, self.stop = proc, proc.memory_info().rss, False
        self.start_rss = self.peak

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.05)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upload-mb", type=int, default=1024)
    parser.add_argument("--objects", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stack = RunningStack(Path(tmp) / "state", free_base_port()).start()
        try:
            run(stack, args)
        finally:
            stack.stop()


def run(stack, args):
    session = oidc_login(stack.hub_url, "alice", stack.password("alice"))
    start_server(session, stack.hub_url, "alice")
    xsrf = next(c.value for c in session.cookies if c.name == "_xsrf" and c.path.startswith("/user/alice"))
    session.headers["X-XSRFToken"] = xsrf
    api = f"{stack.hub_url}/user/alice/datalab/api/storage/personal"
    env = stack.server_env("alice")
    s3 = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                      aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                      aws_session_token=env["AWS_SESSION_TOKEN"])
    size = args.upload_mb * 1024 * 1024
    rows = []

    class Stream:  # file-like over the generator, with a length (as a browser's File)
        """Reads cost what they return: http.client reads 8-16 KiB at a time, so slicing
        the rest of an 8 MiB block at each read would make the client the bottleneck."""

        def __init__(self):
            self.gen, self.block, self.at = blob(args.upload_mb), memoryview(b""), 0

        def __len__(self):
            return size

        def read(self, n=-1):
            out = []
            while n != 0:
                if self.at == len(self.block):
                    self.block, self.at = memoryview(next(self.gen, b"")), 0
                    if not self.block:
                        break
                take = len(self.block) - self.at if n < 0 else min(n, len(self.block) - self.at)
                out.append(self.block[self.at:self.at + take])
                self.at += take
                n = n - take if n > 0 else n
            return b"".join(out)

    t0 = time.monotonic()
    s3.upload_fileobj(Stream(), "user-alice", "bench/raw.bin",
                      Config=TransferConfig(multipart_chunksize=CHUNK, max_concurrency=1))
    raw_up = time.monotonic() - t0

    watcher = PeakRSS(stack.server_process("alice"))
    watcher.start()
    t0 = time.monotonic()
    r = session.put(f"{api}/upload", params={"key": "bench/api.bin"}, data=Stream(), timeout=3600)
    api_up = time.monotonic() - t0
    watcher.stop = True
    if r.status_code != 200:
        raise SystemExit(f"API upload failed: {r.status_code} {r.headers.get('Server')} {r.text[:300]}")
    growth_mb = (watcher.peak - watcher.start_rss) / 2**20

    t0 = time.monotonic()
    body = s3.get_object(Bucket="user-alice", Key="bench/raw.bin")["Body"]
    while body.read(CHUNK):
        pass
    raw_down = time.monotonic() - t0
    t0 = time.monotonic()
    with session.get(f"{api}/object", params={"key": "bench/api.bin"}, stream=True, timeout=3600) as r:
        for _ in r.iter_content(CHUNK):
            pass
    api_down = time.monotonic() - t0

    # the same API straight to the server, without the proxy hop (to attribute the cost)
    direct = env["JUPYTERHUB_SERVICE_URL"].rstrip("/") + "/datalab/api/storage/personal"
    auth = {"Authorization": f"token {env['JUPYTERHUB_API_TOKEN']}"}
    t0 = time.monotonic()
    requests.put(f"{direct}/upload", params={"key": "bench/direct.bin"}, data=Stream(),
                 headers=auth, timeout=3600).raise_for_status()
    direct_up = time.monotonic() - t0
    t0 = time.monotonic()
    with requests.get(f"{direct}/object", params={"key": "bench/direct.bin"}, headers=auth,
                      stream=True, timeout=3600) as r:
        for _ in r.iter_content(CHUNK):
            pass
    direct_down = time.monotonic() - t0

    mb = size / 2**20
    rows.append(("upload MB/s", mb / raw_up, mb / api_up))
    rows.append(("download MB/s", mb / raw_down, mb / api_down))
    rows.append(("upload, no proxy", mb / raw_up, mb / direct_up))
    rows.append(("download, no proxy", mb / raw_down, mb / direct_down))

    print(f"creating {args.objects} objects under many/ ...", file=sys.stderr)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: s3.put_object(Bucket="user-alice", Key=f"many/o{i:07d}", Body=b"x"),
                      range(args.objects)))
    s3.list_objects_v2(Bucket="user-alice", Prefix="many/", Delimiter="/", MaxKeys=200)  # warm-up
    t0 = time.monotonic()
    s3.list_objects_v2(Bucket="user-alice", Prefix="many/", Delimiter="/", MaxKeys=200)
    raw_list = time.monotonic() - t0
    t0 = time.monotonic()
    page = session.get(f"{api}/list", params={"prefix": "many/"}, timeout=600).json()
    api_list = time.monotonic() - t0
    assert len(page["files"]) == 200 and page["next_token"]

    print(f"{'measure':<22}{'raw boto3':>12}{'datalab API':>14}{'API / raw':>12}")
    for name, raw, ours in rows:
        print(f"{name:<22}{raw:>12.1f}{ours:>14.1f}{ours / raw:>12.2f}")
    print(f"{'first page s':<22}{raw_list:>12.3f}{api_list:>14.3f}{api_list / raw_list:>12.2f}")
    print(f"server RSS growth during the {args.upload_mb} MB API upload: {growth_mb:.1f} MB")


if __name__ == "__main__":
    main()
