"""The health checks as a load balancer and an operator see them, from a real gunicorn whose
database does not answer (a PostgreSQL address where nothing listens)."""

from __future__ import annotations

import json

from tests.support.gunicorn import get, gunicorn
from tests.support.smtp import free_port


def test_with_the_database_down_health_answers_503_and_liveness_fails():
    nowhere = f"postgres://postgres@127.0.0.1:{free_port()}/icsvoice"
    with gunicorn(env={"DATABASE_URL": nowhere}) as base:
        status, body = get(f"{base}/health")
        live, _ = get(f"{base}/healthz")
    report = json.loads(body)
    assert status == 503 and report["status"] == "unavailable"
    assert report["database"] == "error: OperationalError"
    assert "oldest_unsent_email_seconds" not in report
    assert live >= 500  # the load balancer stops sending people here
