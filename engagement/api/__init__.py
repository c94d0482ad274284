"""The read-only REST API under /api/ (issue 7).

- `views.py`: one list and one detail endpoint per kind of thing, GET only.
- `visibility.py`: what each person's lists hold, as querysets (the screens' access rules).
- `serializers.py`: the fields, each described for the OpenAPI schema.
- `audit.py`: the audit trail's filters, and what a vote's events withhold.
- `auth.py`, `pagination.py`: knox tokens, and cursor pages by id.
- `tokens.py`: making and revoking tokens (the page is engagement/views/tokens.py).

`make schema` writes the schema to docs/api/openapi.yaml; a test fails when it is stale.
"""
