from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

CODE_NOT_RIGHT = "The code is not right. Enter the 6-digit code your authenticator app shows now."


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by administrators and role managers, never by sign-up."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": (
            "The email address or password is not right. Check them and try again."
        ),
        "enter_current_password": "Enter your current password",
        "incorrect_password": "The password is not right. Check it and try again.",
        "incorrect_code": CODE_NOT_RIGHT,
        "invalid_or_expired_key": (
            "This link has expired or has already been used. Ask for a new one."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {**DefaultMFAAdapter.error_messages, "incorrect_code": CODE_NOT_RIGHT}


def client_ip(request: HttpRequest) -> str:
    """One answer for allauth and axes: REMOTE_ADDR, or behind ICSVOICE_PROXY_COUNT trusted
    proxies the address they forwarded."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return request.META.get("REMOTE_ADDR", "")


def axes_username(request: HttpRequest, credentials: dict[str, object] | None) -> str:
    """allauth authenticates with `email=`; its form field is `login`. Axes keys lockouts
    on the lower-cased address either way."""
    value = (credentials or {}).get("email") or (credentials or {}).get("username")
    if not value and request is not None:
        value = request.POST.get("login", "")
    return str(value or "").strip().lower()
