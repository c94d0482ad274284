"""The engagement side's data, one module per part. Each part's module is imported here so
Django finds its models; import a part's models from its own module."""

from engagement.models import consultations, interviews, learning, log  # noqa: F401
from engagement.models.register import (
    Contact,
    LawfulBasis,
    Organisation,
    OrganisationKind,
)

__all__ = [
    "Contact",
    "LawfulBasis",
    "Organisation",
    "OrganisationKind",
]
