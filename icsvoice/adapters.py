from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by administrators and role managers, never by sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


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
