"""Every write of the engagement side: one module per part, each change in one transaction
with its audit event."""
