"""allauth's forms in NHS.UK style: labels in plain sentence case and no placeholders (the
design system uses hint text instead, since a placeholder vanishes as soon as you type)."""

from __future__ import annotations

from typing import Any, ClassVar

from allauth.account import forms as account_forms
from allauth.mfa.base import forms as mfa_base_forms
from allauth.mfa.totp import forms as totp_forms
from crispy_forms.helper import FormHelper
from django import forms


class NHSFormMixin:
    labels: ClassVar[dict[str, str]] = {}
    fields: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.pop("placeholder", None)
            if name in self.labels:
                field.label = self.labels[name]


class LoginForm(NHSFormMixin, account_forms.LoginForm):
    labels: ClassVar[dict[str, str]] = {"login": "Email address", "password": "Password"}


class ResetPasswordForm(NHSFormMixin, account_forms.ResetPasswordForm):
    labels: ClassVar[dict[str, str]] = {"email": "Email address"}


class ResetPasswordKeyForm(NHSFormMixin, account_forms.ResetPasswordKeyForm):
    labels: ClassVar[dict[str, str]] = {
        "password1": "New password",
        "password2": "Confirm new password",
    }


class ChangePasswordForm(NHSFormMixin, account_forms.ChangePasswordForm):
    labels: ClassVar[dict[str, str]] = {
        "oldpassword": "Current password",
        "password1": "New password",
        "password2": "Confirm new password",
    }


class ReauthenticateForm(NHSFormMixin, account_forms.ReauthenticateForm):
    labels: ClassVar[dict[str, str]] = {"password": "Password"}


class AuthenticateForm(NHSFormMixin, mfa_base_forms.AuthenticateForm):
    labels: ClassVar[dict[str, str]] = {"code": "Code from your authenticator app"}


class MFAReauthenticateForm(NHSFormMixin, mfa_base_forms.ReauthenticateForm):
    labels: ClassVar[dict[str, str]] = {"code": "Code from your authenticator app"}


class ActivateTOTPForm(NHSFormMixin, totp_forms.ActivateTOTPForm):
    labels: ClassVar[dict[str, str]] = {"code": "Code from your authenticator app"}


class NotificationSettingsForm(forms.Form):
    how = forms.ChoiceField(
        label="How should we email you about things that are not urgent?",
        choices=[
            ("immediate", "Straight away, one email for each notice"),
            ("digest", "Once a day, in one digest email"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how often we should email you"},
        help_text=(
            "Urgent notices, such as a vote closing or a meeting pack, always come straight away."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.error_summary = False
