"""The admin site: accounts, a read-only view of the audit trail, and the email outbox."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from icsvoice import mailer
from icsvoice.models import AuditCheckpoint, AuditEvent, OutboxMessage, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "is_active", "is_superuser", "last_login"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_active", "is_superuser"]
    fields = ["email", "full_name", "is_active", "last_login", "date_joined"]
    readonly_fields = ["email", "last_login", "date_joined"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Accounts are created through user_create (management screens, seed, import),
        # which audits them; the admin only views and deactivates.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "occurred_at", "event", "actor_label", "role", "object_type", "object_id"]
    list_filter = ["event", "role"]
    search_fields = ["event", "actor_label", "object_id"]
    show_full_result_count = False


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["verified_at", "last_event_id", "event_count"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Every email: administrators see what could not be sent and why, and send it again."""

    list_display = ["id", "created_at", "kind", "recipient", "state", "attempts", "sent_at"]
    list_filter = ["state", "kind", "digest", "urgent"]
    search_fields = ["recipient__email", "subject", "kind"]
    list_select_related = ["recipient"]
    show_full_result_count = False
    readonly_fields = [
        "kind",
        "object_type",
        "object_id",
        "recipient",
        "version",
        "subject",
        "body",
        "url",
        "urgent",
        "digest",
        "state",
        "created_at",
        "next_attempt_at",
        "claimed_at",
        "attempts",
        "sent_at",
        "last_error",
        "digested_in",
    ]
    actions = ["send_again"]

    @admin.action(description="Send the selected failed emails again")
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        user = request.user if isinstance(request.user, User) else None
        chosen = mailer.failed_resend(ids=queryset.values_list("pk", flat=True), actor=user)
        skipped = queryset.count() - len(chosen)
        self.message_user(
            request,
            f"{len(chosen)} email{'s' if len(chosen) != 1 else ''} queued to send again."
            + (f" {skipped} had not failed and were left alone." if skipped > 0 else ""),
            messages.SUCCESS,
        )
