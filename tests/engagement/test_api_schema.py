"""The API's OpenAPI schema: the copy kept in the repository matches the code, the API serves
it, and Schemathesis, driving every operation through the WSGI app with a reviewer's token
over data with a secret ballot, a tabled brief and a board response, finds no server error
and no response that breaks the schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
import yaml
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.engagement.test_api_data import build_world, token_client
from tests.engagement.test_api_data import world as world

KEPT = Path(settings.BASE_DIR) / "docs" / "api" / "openapi.yaml"


def test_the_schema_in_the_repository_matches_the_code(tmp_path):
    fresh = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(fresh))
    assert KEPT.read_text() == fresh.read_text(), (
        "docs/api/openapi.yaml differs from the API's code: run `make schema` and commit it."
    )


@pytest.mark.django_db
def test_the_api_serves_its_schema_to_anyone():
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    served = json.loads(response.content)
    assert served == yaml.safe_load(KEPT.read_text())
    assert set(served["paths"]) >= {"/api/positions/", "/api/audit-events/{id}/"}


def _schema() -> schemathesis.BaseSchema:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(generated)))
    loaded.app = WSGIHandler()
    return loaded


schema = _schema()


@pytest.fixture
def reviewer_token(cast, make_agreed) -> Iterator[str]:
    """The world, and a reviewer's token. Django closes the database connection when a
    request ends; Django's test client stops that (the test's transaction would end with
    it), so the WSGI app Schemathesis calls must not do it either."""
    build_world(cast, make_agreed)
    client = token_client(cast.reviewer)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield client.defaults["HTTP_AUTHORIZATION"]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_schemathesis_finds_no_server_error(case, reviewer_token):
    response = case.call(headers={"Authorization": reviewer_token})
    case.validate_response(
        response,
        checks=[schemathesis.checks.not_a_server_error, response_schema_conformance],
    )


@pytest.mark.django_db
def test_every_row_the_reviewer_reads_fits_the_schema(reviewer_token):
    """Random ids seldom name a real row, so each list, and each of its rows by id, is also
    checked against the schema."""
    headers = {"Authorization": reviewer_token}
    checks = [schemathesis.checks.not_a_server_error, response_schema_conformance]
    lists = [path for path in schema.raw_schema["paths"] if not path.endswith("{id}/")]
    assert len(lists) == 7
    for path in lists:
        case = schema[path]["GET"].Case(query={"page_size": 200})
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks)
        rows = response.json()["results"]
        assert rows, path
        for row in rows[:20]:
            one = schema[f"{path}{{id}}/"]["GET"].Case(path_parameters={"id": row["id"]})
            answer = one.call(headers=headers)
            assert answer.status_code == 200
            one.validate_response(answer, checks=checks)
