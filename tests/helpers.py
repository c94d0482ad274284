"""Small test helpers: an independent TOTP (RFC 6238) and signing people in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse

DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str, at: float | None = None, period: int = 30) -> str:
    counter = int((time.time() if at is None else at) // period)
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def give_totp(user, secret: str = DEMO_TOTP_SECRET) -> str:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, secret)
    return secret


def sign_in(client, user):
    """A signed-in session for a person who has two-factor set up, as every account must."""
    give_totp(user)
    client.force_login(user)
    return client


def url(name: str, *args) -> str:
    """A primary care page's address."""
    return reverse(f"groups:{name}", args=args)


def page(response) -> str:
    """The page's HTML, checked for the shape every page shares: one h1, breadcrumbs, and
    no inline scripts or styles."""
    body = response.content.decode()
    assert body.count("<h1") == 1
    assert 'class="nhsuk-breadcrumb"' in body
    assert "<script>" not in body and "style=" not in body
    return body


def title(body: str) -> str:
    return re.search(r"<title>(.*?)</title>", body, re.S).group(1).strip()
