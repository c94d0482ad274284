"""gunicorn's access log, as the image and `make run` start it (gunicorn.conf.py in the
project's folder), leaves personal links out of the request line, the query and the
referrer. A real gunicorn serves real requests; the test reads its log file."""

from __future__ import annotations

import time

from icsvoice.gunicorn_logging import REDACTED, redact
from icsvoice.links import new_token
from tests.support.gunicorn import get, gunicorn


def test_the_access_log_names_no_personal_link(tmp_path):
    token, _ = new_token()
    log = tmp_path / "access.log"
    logformat = '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %(q)s'
    with gunicorn("--access-logfile", str(log), "--access-logformat", logformat) as base:
        referer = f"{base}/respond/consultation/{token}/"
        status, _ = get(f"{base}/no-such-page/{token}/?key={token}", {"Referer": referer})
        assert status == 404
        deadline = time.monotonic() + 10
        while "?key=" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    line = next(line for line in log.read_text().splitlines() if "?key=" in line)
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
