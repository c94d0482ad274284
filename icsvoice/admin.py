"""The admin site: accounts, and a read-only view of the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from icsvoice.models import AuditCheckpoint, AuditEvent, User


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
