"""How the API knows who asks: a knox token, and how the schema describes it.

Knox keeps only a SHA-512 hash of each token (DRF's own authtoken keeps keys in plain text),
and its tokens expire. This subclass turns a header that is not UTF-8 into a 401 rather than
a server error.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions


class TokenAuthentication(KnoxTokenAuthentication):
    def authenticate_credentials(self, token: bytes) -> Any:
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return super().authenticate_credentials(token)


class TokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "engagement.api.auth.TokenAuthentication"
    name = "tokenAuth"
    priority = 1

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "An API token from the API tokens page, sent as `Authorization: Token "
                "<token>`. Tokens start `icsv_`, expire (30 days unless the installation "
                "says otherwise) and can be revoked on that page."
            ),
        }
