"""Site administrators set up boards here. Saving goes through the board services, so every
change is audited; seats and meetings are run from the board's own pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import ModelForm
from django.http import HttpRequest

from boards.models import Board
from boards.services.boards import board_create, board_update, rules_check
from icsvoice.errors import DomainError


class BoardForm(ModelForm):
    # Optional here: left blank, a new board sends packs 7 days ahead and a board keeps its own.
    pack_send_days = forms.IntegerField(
        label=Board._meta.get_field("pack_send_days").verbose_name.capitalize(),
        help_text=Board._meta.get_field("pack_send_days").help_text,
        required=False,
        min_value=0,
    )

    class Meta:
        model = Board
        fields = [
            "ics",
            "name",
            "slug",
            "quorum",
            "quorum_rule",
            "papers_due_days",
            "pack_send_days",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            rules_check(
                name=data.get("name") or "",
                quorum_rule=data.get("quorum_rule") or "",
                quorum=data.get("quorum") or 0,
                papers_due_days=data.get("papers_due_days") or 0,
                pack_send_days=7 if data.get("pack_send_days") is None else data["pack_send_days"],
            )
        except DomainError as error:
            raise ValidationError(str(error)) from error
        return data


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    form = BoardForm
    list_display = ["name", "ics", "quorum", "papers_due_days", "pack_send_days"]
    search_fields = ["name", "slug", "ics__name", "ics__code"]
    list_select_related = ["ics"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["ics", "slug"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Board, form: Any, change: bool) -> None:
        data = form.cleaned_data
        try:
            if change:
                saved = board_update(
                    board=Board.objects.get(pk=obj.pk),
                    name=data["name"],
                    quorum=data["quorum"],
                    quorum_rule=data["quorum_rule"],
                    papers_due_days=data["papers_due_days"],
                    pack_send_days=data.get("pack_send_days"),
                    actor=request.user,  # type: ignore[arg-type]
                )
            else:
                saved = board_create(
                    ics=data["ics"],
                    name=data["name"],
                    slug=data["slug"],
                    quorum=data["quorum"],
                    quorum_rule=data["quorum_rule"],
                    papers_due_days=data["papers_due_days"],
                    pack_send_days=(
                        7 if data.get("pack_send_days") is None else data["pack_send_days"]
                    ),
                    actor=request.user,  # type: ignore[arg-type]
                )
        except DomainError as error:  # only the actor check is left to fail here
            raise PermissionDenied(str(error)) from error
        obj.pk = saved.pk
