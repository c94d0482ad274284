"""A real gunicorn serving the project from its folder (so gunicorn.conf.py applies), for
tests about what only the server shows: its access log, a database that does not answer."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """(status, body) of a GET, whatever the status."""
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


@contextmanager
def gunicorn(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Starts one gunicorn worker on a free loopback port; yields its base URL once it
    answers, and stops it afterwards."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "icsvoice.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            *args,
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get(f"{base}/no-such-page/")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
