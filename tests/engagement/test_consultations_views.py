"""Consultation pages through the client: who may see and do what (200, 403, 404, sign-in),
the flow from opening to the summary, the answer page a personal link opens (signed out,
answered once and changed, expired, guessed, replaced and used links, rate-limited), the
position's page, and query counts that stay flat as the data grows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement.models.consultations import Consultation, ConsultationAnswer
from engagement.models.register import Contact, LawfulBasis
from engagement.reminders import remind_consultations_closing
from engagement.services import consultations as services
from engagement.services.consultations import Audiences
from groups.models import PCN, Place
from icsvoice.models import AuditEvent
from tests.engagement.test_consultations import (
    answered_scene,
    build_scene,
    draft,
    in_days,
    open_main,
    send_all,
    token_of,
)
from tests.helpers import page, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(cast):
    return build_scene(cast)


def _as(client, person):
    client.logout()
    return sign_in(client, person) if person else client


def respond_url(token: str) -> str:
    return reverse("engagement:consultation-respond", args=[token])


def detail_url(consultation) -> str:
    return reverse("engagement:consultation-detail", args=[consultation.pk])


def _dates(name: str, day: dt.date) -> dict[str, str]:
    return {
        f"{name}[day]": str(day.day),
        f"{name}[month]": str(day.month),
        f"{name}[year]": str(day.year),
    }


# --- Access ----------------------------------------------------------------------------------


def _pages(scene, consultation):
    position = scene.position.pk
    return [
        # (name, url, method, allowed, refused in the same ICS)
        (
            "list",
            reverse("engagement:position-consultations", args=[position]),
            "get",
            "reviewer",
            "secretary",
        ),
        (
            "open",
            reverse("engagement:consultation-open", args=[position]),
            "get",
            "gp_lead",
            "gp_rep",
        ),
        (
            "open-as-reviewer",
            reverse("engagement:consultation-open", args=[position]),
            "get",
            "chair",
            "reviewer",
        ),
        ("detail", detail_url(consultation), "get", "reviewer", "board_member"),
        ("detail-member", detail_url(consultation), "get", "gp_rep", "secretary"),
        (
            "extend",
            reverse("engagement:consultation-extend", args=[consultation.pk]),
            "get",
            "chair",
            "gp_lead",
        ),
        (
            "close",
            reverse("engagement:consultation-close", args=[consultation.pk]),
            "post",
            "chair",
            "gp_lead",
        ),
    ]


def test_every_page_200_403_404_and_sign_in(client, scene, cast):
    consultation = open_main(scene)
    for name, url, method, allowed, refused in _pages(scene, consultation):
        call = getattr(_as(client, None), method)
        response = call(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
        assert getattr(_as(client, getattr(cast, refused)), method)(url).status_code == 403, name
        assert getattr(_as(client, cast.outsider), method)(url).status_code == 404, name
        response = getattr(_as(client, getattr(cast, allowed)), method)(url)
        assert response.status_code == (302 if method == "post" else 200), name
    missing = reverse("engagement:consultation-detail", args=[consultation.pk + 100])
    assert _as(client, cast.chair).get(missing).status_code == 404


def test_closing_is_post_only(client, scene, cast):
    consultation = open_main(scene)
    url = reverse("engagement:consultation-close", args=[consultation.pk])
    assert _as(client, cast.chair).get(url).status_code == 405


# --- The group's flow --------------------------------------------------------------------------


def test_open_from_the_position_to_the_summary(client, scene, cast):
    _as(client, cast.gp_lead)
    listing = page(
        client.get(reverse("engagement:position-consultations", args=[scene.position.pk]))
    )
    assert "has not been consulted on" in listing and 'id="open-consultation"' in listing
    url = reverse("engagement:consultation-open", args=[scene.position.pk])
    form = page(client.get(url))
    assert "Riverside PCN" in form and "North" in form and "Local medical committee" in form
    assert "ICS B" not in form

    # Bad input: a clear message each, nothing saved.
    for data, message in (
        ({**_dates("closes_on", in_days(5))}, "Choose who to consult"),
        ({"practices": "all"}, "Enter the closing date"),
        ({"practices": "all", **_dates("closes_on", in_days(-1))}, "must be in the future"),
        (
            {
                "practices": "all",
                "closes_on[day]": "31",
                "closes_on[month]": "2",
                "closes_on[year]": "2027",
            },
            "must be a real date",
        ),
        ({"pcns": "999999", **_dates("closes_on", in_days(5))}, "Choose PCNs from the list"),
        (
            {"kinds": "practice", **_dates("closes_on", in_days(5))},
            "Choose kinds of organisation from the list",
        ),
        ({"kinds": "optometry", **_dates("closes_on", in_days(5))}, "Nobody in those audiences"),
    ):
        response = client.post(url, data)
        assert response.status_code == 200, data
        body = page(response)
        assert "There is a problem" in body and message in body, data
    assert not Consultation.objects.exists()

    response = client.post(
        url,
        {
            "pcns": str(scene.riverside.pk),
            "places": str(scene.south.pk),
            "kinds": "lmc",
            **_dates("closes_on", in_days(10)),
        },
    )
    consultation = Consultation.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(consultation)
    body = page(client.get(response["Location"]))
    assert "7 people have been emailed a link" in body
    assert "0 of 7 asked" in body and "No answers yet" in body
    # An author who is not the chair may not close or extend.
    assert 'id="close-consultation"' not in body
    listing = page(
        client.get(reverse("engagement:position-consultations", args=[scene.position.pk]))
    )
    assert 'id="open-consultation"' not in listing and detail_url(consultation) in listing


def test_the_summary_page_shows_the_figures_and_no_person(client, scene, cast, settings):
    consultation, _ = answered_scene(scene, settings)
    body = page(_as(client, cast.reviewer).get(detail_url(consultation)))
    assert "5 of 7 asked" in body  # people
    assert "4 of 6 asked" in body  # organisations
    assert "2 of 3 asked" in body  # practices
    assert "2 of 2 asked" in body  # PCNs
    assert "Support: 1. Support with changes: 2. Concerns: 2." in body
    assert "The hub is too far for our patients." in body and "Give the LMC a seat." in body
    for table in ("by-audience", "by-place", "by-pcn"):
        assert f'id="{table}"' in body
    assert "Abbey Surgery" in body and "Hillside PCN" in body
    for name, email in Contact.objects.exclude(email="").values_list("name", "email"):
        assert name not in body and email not in body
    assert 'id="close-consultation"' not in body  # a reviewer reads only


def test_the_chair_extends_and_closes_it(client, scene, cast):
    consultation = open_main(scene)
    _as(client, cast.chair)
    assert 'id="close-consultation"' in page(client.get(detail_url(consultation)))
    url = reverse("engagement:consultation-extend", args=[consultation.pk])
    response = client.post(url, _dates("closes_on", in_days(3)))
    assert "must be after the current one" in page(response)
    response = client.post(url, {"closes_on[day]": "x"})
    assert response.status_code == 200 and "There is a problem" in page(response)
    response = client.post(url, _dates("closes_on", in_days(12)))
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.closes_on == in_days(12)
    response = client.post(reverse("engagement:consultation-close", args=[consultation.pk]))
    assert response.status_code == 302
    body = page(client.get(detail_url(consultation)))
    assert "The consultation is closed" in body and "Closed" in body
    assert 'id="close-consultation"' not in body
    # Closed: a second close says so, the extension page refuses.
    response = client.post(
        reverse("engagement:consultation-close", args=[consultation.pk]), follow=True
    )
    assert "already closed" in response.content.decode()
    assert "has closed, so its closing date cannot change" in page(client.get(url))
    response = client.post(url, _dates("closes_on", in_days(30)))
    assert response.status_code == 200
    consultation.refresh_from_db()
    assert consultation.closes_on == in_days(12)


def test_the_open_page_refuses_a_position_already_consulted(client, scene, cast):
    open_main(scene)
    url = reverse("engagement:consultation-open", args=[scene.position.pk])
    body = page(_as(client, cast.gp_lead).get(url))
    assert "already open" in body and '<form method="post"' not in body
    response = client.post(url, {"practices": "all", **_dates("closes_on", in_days(5))})
    assert response.status_code == 200 and Consultation.objects.count() == 1


def test_the_position_page_shows_the_journey_step(client, scene, cast, settings):
    answered_scene(scene, settings)
    body = _as(client, cast.gp_rep).get(reverse("groups:position-detail", args=[scene.position.pk]))
    text = body.content.decode()
    assert "Consulted practices and partners: 2 practices and 2 PCNs answered" in text


# --- The personal link ----------------------------------------------------------------------


def test_answer_through_the_link_signed_out_then_change_it(client, scene, settings):
    open_main(scene)
    tokens = send_all(settings)
    url = respond_url(token_of(tokens, scene, "Bob"))
    response = client.get(url)
    assert response.status_code == 200
    assert (
        response["Referrer-Policy"] == "strict-origin" and "no-store" in response["Cache-Control"]
    )
    body = response.content.decode()
    assert "Same-day access hubs in every place" in body
    assert "Fund one same-day access hub per place from July 2027." in body
    assert "Brook Surgery" in body and "Send your answer" in body

    for data, message in (
        ({}, "Choose whether your organisation supports the position"),
        ({"stance": "concerns"}, "Enter your organisation&#x27;s concerns"),
        ({"stance": "changes", "text": " "}, "Enter the changes your organisation would make"),
        ({"stance": "concerns", "text": "<script>x</script>"}, "must be plain text"),
        ({"stance": "maybe"}, "Choose whether your organisation supports the position"),
    ):
        response = client.post(url, data)
        assert response.status_code == 200 and message in response.content.decode(), data
    assert not ConsultationAnswer.objects.exists()

    response = client.post(url, {"stance": "concerns", "text": "Too far for our patients."})
    assert response.status_code == 302 and response["Location"] == url
    body = client.get(url).content.decode()
    assert "Thank you: your answer is recorded" in body
    assert "You answered on" in body and "Change your answer" in body
    assert "Too far for our patients." in body
    client.post(url, {"stance": "support", "text": ""})
    answer = ConsultationAnswer.objects.get()
    assert answer.stance == "support" and answer.changed_at is not None
    assert AuditEvent.objects.filter(event="consultation.answer_changed").count() == 1


def test_wrong_expired_replaced_and_used_links_get_the_one_page(client, scene, settings):
    consultation = open_main(scene)
    tokens = send_all(settings)
    cat, bob = token_of(tokens, scene, "Cat"), token_of(tokens, scene, "Bob")
    client.post(respond_url(bob), {"stance": "support"})

    def not_working(token):
        response = client.get(respond_url(token))
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
        return response

    not_working("x" * 43)  # guessed
    not_working("short")
    not_working(cat[:-2] + "zz" if not cat.endswith("zz") else cat[:-2] + "yy")
    assert client.post(respond_url("y" * 43), {"stance": "support"}).status_code == 404
    # Replaced: the reminder's link retires the first email's.
    remind_consultations_closing(consultation.closes_at - dt.timedelta(days=2))
    reminded = send_all(settings, services.REMINDER_KIND)
    not_working(cat)
    assert client.get(respond_url(reminded[scene.contacts["Cat"].email])).status_code == 200
    # Expired at the close; a used link after the close too; a post changes nothing.
    Consultation.objects.filter(pk=consultation.pk).update(closes_at=timezone.now())
    not_working(reminded[scene.contacts["Cat"].email])
    not_working(bob)
    assert client.post(respond_url(bob), {"stance": "concerns", "text": "Late"}).status_code == 404
    assert ConsultationAnswer.objects.get().stance == "support"


def test_opening_links_is_rate_limited(client, scene, settings):
    settings.ICSVOICE_LINK_RATE = 3
    open_main(scene)
    token = token_of(send_all(settings), scene, "Ann")
    # Good links do not count: a network address shared by many practices is never turned
    # away for using them. Three links that find nothing do, and then every link waits.
    codes = [client.get(respond_url(token)).status_code for _ in range(5)]
    codes += [client.get(respond_url("x" * 43)).status_code for _ in range(3)]
    codes += [client.get(respond_url(token)).status_code]
    assert codes == [200] * 5 + [404] * 3 + [429]


def test_the_link_works_for_a_signed_in_person_too(client, scene, cast, settings):
    open_main(scene)
    token = token_of(send_all(settings), scene, "Ann")
    assert _as(client, cast.outsider).get(respond_url(token)).status_code == 200


# --- Query counts ----------------------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _more_contacts(scene, n: int) -> None:
    org = scene.orgs["Fell"]
    start = Contact.objects.filter(organisation=org).count()
    Contact.objects.bulk_create(
        Contact(
            organisation=org,
            name=f"Person {i}",
            email=f"p{i}@fell.example",
            lawful_basis=LawfulBasis.PUBLIC_TASK,
        )
        for i in range(start, start + n)
    )


def test_the_summary_s_queries_stay_flat(client, scene, cast, settings):
    counts = []
    for extra in (2, 6):
        _more_contacts(scene, extra)
        position = draft(cast, f"Draft with {extra} more")
        consultation = services.consultation_open(
            position=position,
            actor=cast.gp_lead,
            closes_on=in_days(5),
            audiences=Audiences(all_practices=True),
        )
        for token in list(send_all(settings).values())[: extra + 1]:
            services.answer_record(
                invitation=services.invitation_for_token(token), stance="support", text=""
            )
        counts.append(_queries(_as(client, cast.chair), detail_url(consultation)))
    assert counts[0] == counts[1], counts


def test_the_list_open_and_respond_pages_stay_flat(client, scene, cast, settings):
    lists, forms, responds = [], [], []
    for n in (1, 3):
        for i in range(n):
            PCN.objects.create(code=f"V{n}{i:04d}", name=f"More PCN {n}-{i}", ics=cast.ics)
            Place.objects.create(ics=cast.ics, name=f"More place {n}-{i}")
            c = open_main(scene, closes_in=5 + i)
            services.consultation_close(consultation=c, actor=cast.chair)
        _as(client, cast.chair)
        lists.append(
            _queries(client, reverse("engagement:position-consultations", args=[scene.position.pk]))
        )
        forms.append(
            _queries(client, reverse("engagement:consultation-open", args=[scene.position.pk]))
        )
        c = open_main(scene)
        token = token_of(send_all(settings), scene, "Ann")
        _as(client, None)
        responds.append(_queries(client, respond_url(token)))
        services.consultation_close(consultation=c, actor=cast.chair)
    assert lists[0] == lists[1] and forms[0] == forms[1] and responds[0] == responds[1]
    assert responds[0] <= 6, responds


def test_the_position_page_s_queries_stay_flat_however_many_consultations(client, scene, cast):
    url = reverse("groups:position-detail", args=[scene.position.pk])
    _as(client, cast.gp_rep)
    counts = []
    for _ in range(2):
        counts.append(_queries(client, url))
        for _ in range(2):
            c = open_main(scene)
            services.consultation_close(consultation=c, actor=cast.chair)
    assert counts[0] == counts[1] == _queries(client, url)
