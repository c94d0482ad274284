"""The parts of the load benchmark that decide its figures: the percentile, the per-endpoint
summary, the query-count header, the bare view, and the check that a page's queries do not
grow with the data. (The benchmark itself runs in `make bench`, not here.)"""

from __future__ import annotations

import json

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from bench import load
from bench.middleware import HEADER, QueryCountMiddleware
from bench.urls import bare
from icsvoice.models import User


def test_percentiles_are_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert load.percentile(values, 0.50) == 50.0
    assert load.percentile(values, 0.95) == 95.0
    assert load.percentile(values, 0.99) == 99.0
    assert load.percentile([7.0], 0.95) == 7.0
    assert load.percentile([], 0.95) == 0.0


def test_the_summary_counts_errors_apart_from_timings():
    recorder = load.Recorder()
    for ms in (10, 20, 30, 40):
        recorder.add(load.Sample("home", 200, ms / 1000, 9))
    recorder.add(load.Sample("home", 500, 5.0, 3, "HTTP 500 for GET /"))
    row = load.summarise(recorder, seconds=2.0)["home"]
    assert (row["requests"], row["errors"], row["per_second"]) == (5, 1, 2.5)
    assert row["p95_ms"] == 40.0  # the 5-second error is not a timing
    assert row["queries"] == [3, 9]


@pytest.mark.django_db
def test_the_header_counts_every_query_of_the_request():
    def view(request):
        list(User.objects.all())
        User.objects.count()
        return HttpResponse("ok")

    response = QueryCountMiddleware(view)(RequestFactory().get("/"))
    assert response[HEADER] == "2"
    assert QueryCountMiddleware(bare)(RequestFactory().get("/bench/bare"))[HEADER] == "0"


def test_queries_that_grow_with_the_data_are_a_missed_target(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "RESULTS", tmp_path)
    (tmp_path / "load-scale-0.1.json").write_text(
        json.dumps({"scale": 0.1, "journeys": {"home": {"queries": [9, 12]}}})
    )
    same = {"home": {"queries": [10, 12]}}
    grown = {"home": {"queries": [9, 13]}}
    assert load.compare_queries(same, 1.0) == []
    assert load.compare_queries(grown, 1.0) == ["home: at most 13 queries here, 12 at scale 0.1"]
    assert load.compare_queries(grown, 0.1) == []  # its own last run is not compared
