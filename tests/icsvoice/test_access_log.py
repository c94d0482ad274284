"""gunicorn's access log, as the image and `make run` start it (gunicorn.conf.py in the
project's folder), leaves personal links out of the request line, the query and the
referrer. A real gunicorn serves real requests; the test reads its log file."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from icsvoice.gunicorn_logging import REDACTED, redact
from icsvoice.links import new_token
from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]


def _get(url: str, referer: str) -> int:
    request = urllib.request.Request(url, headers={"Referer": referer})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_the_access_log_names_no_personal_link(tmp_path):
    token, _ = new_token()
    log = tmp_path / "access.log"
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "icsvoice.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(log),
            "--access-logformat",
            '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %(q)s',
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(f"{base}/healthz", "-")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        referer = f"{base}/respond/consultation/{token}/"
        assert _get(f"{base}/no-such-page/{token}/?key={token}", referer) == 404
        deadline = time.monotonic() + 10
        while "no-such-page" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    line = next(line for line in log.read_text().splitlines() if "no-such-page" in line)
    assert token not in line
    assert f"GET /no-such-page/{REDACTED}/?key={REDACTED} HTTP/1.1" in line
    assert f"/respond/consultation/{REDACTED}/" in line  # the referrer
    assert f"/no-such-page/{REDACTED}/ key={REDACTED}" in line  # the path and the query


def test_only_token_like_parts_are_redacted():
    token, _ = new_token()
    assert redact(f"GET /respond/exit-interview/{token}/ HTTP/1.1") == (
        f"GET /respond/exit-interview/{REDACTED}/ HTTP/1.1"
    )
    assert redact("GET /respond/exit-interview/thank-you/ HTTP/1.1").endswith("thank-you/ HTTP/1.1")
    assert redact("/boards/north-east-and-north-cumbria-integrated-care-board/") == (
        "/boards/north-east-and-north-cumbria-integrated-care-board/"
    )
