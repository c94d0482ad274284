"""Cursor pages ordered by id: stable while rows are added, and no COUNT query."""

from __future__ import annotations

import re
from typing import Any

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination

BAD_CURSOR = "This cursor is not valid: use a page's `next` or `previous` link as it is."
# Ids are 64-bit; anything outside would overflow the database's integer before it could match.
MAX_ID = 2**63 - 1
ID = re.compile(r"-?[0-9]{1,19}")


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    cursor_query_description = (
        "Where the page starts: copy it from the `next` or `previous` link of the page before. "
        "Leave it out for the first page."
    )
    page_size_query_description = "Rows per page: 50 unless set, at most 200."

    def decode_cursor(self, request: Any) -> Cursor | None:
        """A cursor that does not decode, or names a position that is not an id, is a 400
        with a message (DRF's own answer is a 404, which reads as "no such list")."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": [BAD_CURSOR]}) from None
        if cursor is not None and cursor.position is not None:
            position = str(cursor.position)
            if not ID.fullmatch(position) or not -MAX_ID <= int(position) <= MAX_ID:
                raise ValidationError({"cursor": [BAD_CURSOR]})
        return cursor

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        def link(which: str, example: str) -> dict[str, Any]:
            return {
                "type": "string",
                "nullable": True,
                "format": "uri",
                "description": f"The {which} page's address, to use as it is; null when "
                f"there is no {which} page.",
                "example": f"https://icsvoice.example.nhs.uk/api/positions/?cursor={example}",
            }

        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": link("next", "cD00ODY%3D"),
                "previous": link("previous", "cj0xJnA9NDg3"),
                "results": {**schema, "description": "This page's rows, by id."},
            },
        }
