"""API tokens: a person creates, lists and revokes their own. Knox keeps only a hash of each
token and its first characters, so a token is shown once, when it is made.

Creating and revoking are audited (`api.token_created`, `api.token_revoked`) against the
person, in no ICS: a token reads whatever its owner may read, across their roles.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings

from icsvoice import audit
from icsvoice.errors import DomainError
from icsvoice.models import User


class TokenError(DomainError):
    """A token could not be made or revoked."""


def tokens_of(user: User) -> QuerySet[AuthToken]:
    """The person's tokens, newest first, expired ones included until they are revoked or
    knox clears them."""
    return AuthToken.objects.filter(user=user).order_by("-created", "token_key")


def live_tokens_of(user: User) -> QuerySet[AuthToken]:
    return tokens_of(user).filter(expiry__gt=timezone.now())


@transaction.atomic
def api_token_create(*, user: User) -> tuple[AuthToken, str]:
    """A new token for the person, expiring after REST_KNOX's TOKEN_TTL; returns the row and
    the token itself, which is never stored and cannot be shown again. Refused when the
    person already holds the most live tokens allowed."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one create at a time
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit is not None and live_tokens_of(user).count() >= limit:
        raise TokenError(
            f"You already have {limit} API tokens. Revoke one you no longer use first."
        )
    token, secret = AuthToken.objects.create(user=user)
    audit.record(
        event="api.token_created",
        actor=user,
        role="self",
        obj=user,
        payload={"token": token.token_key, "expires_at": token.expiry},
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, user: User, token_key: str) -> AuthToken:
    """Deletes one of the person's own tokens (knox keeps no revoked state): requests with
    it are refused from now on."""
    token = tokens_of(user).filter(token_key=token_key).select_for_update().first()
    if token is None:
        raise TokenError("That token does not exist or was already revoked.")
    AuthToken.objects.filter(pk=token.pk).delete()
    audit.record(
        event="api.token_revoked",
        actor=user,
        role="self",
        obj=user,
        payload={"token": token.token_key, "expires_at": token.expiry},
    )
    return token
