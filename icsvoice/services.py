"""Kernel writes: people."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from icsvoice import audit
from icsvoice.errors import DomainError
from icsvoice.models import User


class UserError(DomainError):
    pass


@transaction.atomic
def user_create(
    *,
    email: str,
    full_name: str,
    password: str | None = None,
    password_hash: str | None = None,
    is_site_admin: bool = False,
    actor: User | None,
    actor_role: str = "site_admin",
) -> User:
    """Creates an account (nobody signs themselves up). No password means the person sets
    one through the password reset email."""
    email = User.objects.normalize_email(email).lower()
    try:
        with transaction.atomic():
            if is_site_admin:
                user = User.objects.create_superuser(email, password, full_name=full_name)
            else:
                user = User.objects.create_user(email, password, full_name=full_name)
        if password_hash:
            # Already hashed (the demo seeds many people with one password, hashed once).
            User.objects.filter(pk=user.pk).update(password=password_hash)
    except IntegrityError:
        raise UserError(f"There is already an account for {email}.") from None
    audit.record(
        event="user.created",
        actor=actor,
        role=actor_role,
        obj=user,
        payload={"email": email, "site_admin": is_site_admin},
    )
    return user


@transaction.atomic
def user_notifications_set(*, user: User, digest: bool) -> User:
    """The person's own choice: non-urgent notices straight away, or in a daily digest.
    Notices already waiting keep the choice they were written with."""
    if user.email_digest != digest:
        User.objects.filter(pk=user.pk).update(email_digest=digest)
        user.email_digest = digest
        audit.record(
            event="user.notifications_set",
            actor=user,
            role="self",
            obj=user,
            payload={"digest": digest},
        )
    return user
