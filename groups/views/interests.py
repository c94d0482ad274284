"""The register of interests: a member's own entries, and for the chair and the ICS's
staff reviewers the whole group's. Members add and end their own entries; the chair can
do both on a member's behalf. Thin: access, form, service, message, redirect."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from groups import access, selectors, services
from groups.forms.interests import InterestForm
from groups.models import Interest, LeadershipGroup, today
from groups.views.common import GET_POST, act, attempt, posted
from icsvoice.http import AuthedRequest
from icsvoice.models import User
from icsvoice.registry import has_role


@dataclass
class Entry:
    interest: Interest
    current: bool
    can_end: bool


@dataclass
class MemberEntries:
    member: User
    entries: list[Entry] = field(default_factory=list)


def _entry(interest: Interest, user: User, is_chair: bool) -> Entry:
    ended = interest.ends_on is not None and interest.ends_on <= today()
    may_end = is_chair or interest.member_id == user.pk
    return Entry(interest, current=not ended, can_end=interest.ends_on is None and may_end)


def _whole_register(group: LeadershipGroup, user: User, is_chair: bool) -> list[MemberEntries]:
    """Every current member, with or without entries, and anyone else with entries."""
    by_member = {m.pk: MemberEntries(m) for m in selectors.current_members(group)}
    for interest in group.interests.select_related("member", "recorded_by"):
        row = by_member.setdefault(interest.member_id, MemberEntries(interest.member))
        row.entries.append(_entry(interest, user, is_chair))
    return sorted(by_member.values(), key=lambda row: (row.member.full_name, row.member.pk))


@login_required
@require_GET
def register(request: AuthedRequest, group_id: int) -> HttpResponse:
    group = access.group_for_reader(user=request.user, group_id=group_id)
    is_member = access.is_member(request.user, group)
    is_chair = is_member and access.is_chair(request.user, group)
    mine: list[Entry] = []
    if is_member:
        own = group.interests.filter(member=request.user).select_related("member", "recorded_by")
        mine = [_entry(interest, request.user, is_chair) for interest in own]
    # The chair and the ICS's staff reviewers see everyone's; other members their own.
    sees_everyone = (
        is_chair or not is_member or has_role(request.user, "ics_reviewer", ics_id=group.ics_id)
    )
    everyone = _whole_register(group, request.user, is_chair) if sees_everyone else []
    return render(
        request,
        "groups/interests.html",
        {
            "group": group,
            "is_member": is_member,
            "is_chair": is_chair,
            "mine": mine,
            "everyone": everyone,
            "sees_everyone": sees_everyone,
        },
    )


@login_required
@GET_POST
def create(request: AuthedRequest, group_id: int) -> HttpResponse:
    group = access.group_for_member(user=request.user, group_id=group_id)
    is_chair = access.is_chair(request.user, group)
    members = selectors.current_members(group) if is_chair else None
    initial = {"member": request.user.pk} if is_chair else {}
    form = InterestForm(posted(request), members=members, initial=initial)
    if request.method == "POST" and form.is_valid():
        member = form.cleaned_data.get("member") or request.user
        done = attempt(
            form,
            lambda: services.interest_register(
                group=group,
                member=member,
                actor=request.user,
                category=form.cleaned_data["category"],
                description=form.cleaned_data["description"],
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
            ),
        )
        if done is not None:
            whose = "your" if member.pk == request.user.pk else f"{member}'s"
            messages.success(request, f"The interest has been added to {whose} register.")
            return redirect("groups:interests", group.pk)
    return render(
        request,
        "groups/interest_form.html",
        {"group": group, "form": form, "is_chair": is_chair},
    )


@login_required
@require_POST
def end(request: AuthedRequest, pk: int) -> HttpResponse:
    interest = access.interest_for_member_or_chair(user=request.user, interest_id=pk)
    done = act(
        request,
        lambda: services.interest_end(interest=interest, actor=request.user),
    )
    if done is not None:
        messages.success(request, "The interest has been recorded as ended today.")
    return redirect("groups:interests", interest.group_id)
