"""Fixtures the primary care tests share."""

from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture
def members(cast):
    """Three more GP leads in the cast's group."""
    people = [f.UserFactory(full_name=f"Dr Member {n}") for n in range(3)]
    for person in people:
        f.GroupMembershipFactory(group=cast.group, user=person)
    return people
