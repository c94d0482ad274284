"""factory_boy factories. Role rows are made here directly: tests of the role services
go through the services; everything else only needs the rows to exist."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from boards.models import Board, BoardSeat
from groups.models import (
    ICS,
    PCN,
    GroupMembership,
    IcsReviewer,
    LeadershipGroup,
    Place,
    Practice,
    TermsOfReference,
)
from icsvoice.models import User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.nhs.uk")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class ICSFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ICS
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"Q{n:02d}")
    name = factory.Sequence(lambda n: f"Test ICS {n}")


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place

    ics = factory.SubFactory(ICSFactory)
    name = factory.Sequence(lambda n: f"Place {n}")


class PCNFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PCN

    code = factory.Sequence(lambda n: f"U{n:05d}")
    name = factory.Sequence(lambda n: f"Test PCN {n}")
    ics = factory.SubFactory(ICSFactory)


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice

    code = factory.Sequence(lambda n: f"Z{n:05d}")
    name = factory.Sequence(lambda n: f"Test Surgery {n}")
    postcode = "TS1 1AA"
    ics = factory.SubFactory(ICSFactory)
    opened_on = dt.date(2000, 4, 1)


class LeadershipGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadershipGroup

    ics = factory.SubFactory(ICSFactory)
    name = factory.Sequence(lambda n: f"Primary Care Leadership Group {n}")


class TermsOfReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TermsOfReference

    group = factory.SubFactory(LeadershipGroupFactory)
    version = factory.Sequence(lambda n: n + 1)
    state = TermsOfReference.State.IN_FORCE
    purpose = "To give general practice one organised voice on the ICB board."
    review_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))
    adopted_at = factory.LazyFunction(timezone.now)


class GroupMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupMembership

    group = factory.SubFactory(LeadershipGroupFactory)
    user = factory.SubFactory(UserFactory)
    role = GroupMembership.Role.MEMBER
    starts_on = dt.date(2025, 4, 1)


class IcsReviewerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IcsReviewer

    ics = factory.SubFactory(ICSFactory)
    user = factory.SubFactory(UserFactory)
    starts_on = dt.date(2025, 4, 1)


class BoardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Board

    ics = factory.SubFactory(ICSFactory)
    name = factory.Sequence(lambda n: f"Test Integrated Care Board {n}")
    slug = factory.Sequence(lambda n: f"board-{n}")


class BoardSeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BoardSeat

    board = factory.SubFactory(BoardFactory)
    user = factory.SubFactory(UserFactory)
    role = BoardSeat.Role.MEMBER
    starts_on = dt.date(2025, 4, 1)
