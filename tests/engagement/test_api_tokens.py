"""API tokens: made on the tokens page and shown once, used, listed, revoked, expired; both
changes audited against the person, in no ICS."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from icsvoice.models import AuditEvent
from tests.engagement.test_api_data import api, token_client
from tests.helpers import page, sign_in

pytestmark = pytest.mark.django_db

TOKENS = reverse("engagement:api-tokens")


def revoke_url(key: str) -> str:
    return reverse("engagement:api-token-revoke", args=[key])


def created_secret(response) -> str:
    found = re.search(r'id="token-secret">(icsv_[0-9a-f]{64})<', response.content.decode())
    assert found, "the new token is not on the page"
    return found.group(1)


def test_a_token_from_creation_to_revocation(cast):
    client = sign_in(Client(), cast.reviewer)
    made = client.post(TOKENS)
    assert made.status_code == 200
    assert made["Cache-Control"] == "no-store"
    body = page(made)
    secret = created_secret(made)
    token = AuthToken.objects.get(user=cast.reviewer)
    assert secret.startswith(token.token_key)
    assert token.digest != secret and secret not in token.digest  # only a hash is kept
    assert token.expiry - timezone.now() > dt.timedelta(days=29)
    assert f"{timezone.localtime(token.expiry):%-d %B %Y}" in body
    created = AuditEvent.objects.get(event="api.token_created")
    assert (created.actor_id, created.role, created.ics_id) == (cast.reviewer.pk, "self", None)
    assert (created.object_type, created.object_id) == ("icsvoice.user", str(cast.reviewer.pk))
    assert created.payload["token"] == token.token_key and secret not in str(created.payload)

    program = Client(HTTP_AUTHORIZATION=f"Token {secret}")
    assert program.get(api("position-list")).status_code == 200

    listed = client.get(TOKENS)
    assert token.token_key in listed.content.decode()
    assert secret not in listed.content.decode()  # shown once only

    revoked = client.post(revoke_url(token.token_key), follow=True)
    assert f"The token starting {token.token_key} is revoked" in revoked.content.decode()
    assert not AuthToken.objects.exists()
    event = AuditEvent.objects.get(event="api.token_revoked")
    assert (event.actor_id, event.object_id, event.ics_id) == (
        cast.reviewer.pk,
        str(cast.reviewer.pk),
        None,
    )
    assert program.get(api("position-list")).status_code == 401


def test_an_expired_token_is_refused(cast):
    client = token_client(cast.gp_lead)
    assert client.get(api("position-list")).status_code == 200
    AuthToken.objects.update(expiry=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(api("position-list"))
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_the_page_lists_expired_tokens_until_revoked(cast):
    token_client(cast.gp_lead)
    AuthToken.objects.update(expiry=timezone.now() - dt.timedelta(days=1))
    body = sign_in(Client(), cast.gp_lead).get(TOKENS).content.decode()
    assert "Expired" in body


def test_a_person_holds_at_most_the_limit_of_live_tokens(cast, settings):
    client = sign_in(Client(), cast.gp_lead)
    for _ in range(5):
        assert client.post(TOKENS).status_code == 200
    refused = client.post(TOKENS, follow=True)
    assert "You already have 5 API tokens" in refused.content.decode()
    assert AuthToken.objects.filter(user=cast.gp_lead).count() == 5
    AuthToken.objects.filter(user=cast.gp_lead).update(expiry=timezone.now() - dt.timedelta(days=1))
    assert client.post(TOKENS).status_code == 200  # expired ones do not count


def test_nobody_revokes_another_persons_token(cast):
    token_client(cast.gp_lead)
    key = AuthToken.objects.get().token_key
    response = sign_in(Client(), cast.outsider).post(revoke_url(key), follow=True)
    assert "does not exist or was already revoked" in response.content.decode()
    assert AuthToken.objects.filter(user=cast.gp_lead).exists()
    assert not AuditEvent.objects.filter(event="api.token_revoked").exists()


def test_the_page_needs_signing_in_and_revoking_needs_a_post(cast):
    response = Client().get(TOKENS)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Client().post(TOKENS).status_code == 302
    assert not AuthToken.objects.exists()
    client = sign_in(Client(), cast.gp_lead)
    token_client(cast.gp_lead)
    key = AuthToken.objects.get().token_key
    assert client.get(revoke_url(key)).status_code == 405
    assert AuthToken.objects.exists()


def test_creating_needs_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, cast.gp_lead)
    assert client.post(TOKENS).status_code == 403
    assert not AuthToken.objects.exists()


def test_the_page_with_no_tokens(cast):
    body = page(sign_in(Client(), cast.board_member).get(TOKENS))
    assert "You have no API tokens." in body
    assert reverse("api:schema") in body
