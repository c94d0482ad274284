"""Vote pages: the chair opens a round, members vote, the chair closes early once everyone
eligible has voted (otherwise the deadline job closes it)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from groups import access, selectors, services
from groups.forms.votes import BallotForm, VoteOpenForm
from groups.models import GroupMembership, TermsOfReference, Vote
from groups.views.common import GET_POST, act, attempt, posted
from icsvoice.http import AuthedRequest

IN_FORCE = TermsOfReference.State.IN_FORCE


@login_required
@GET_POST
def open_on_position(request: AuthedRequest, pk: int) -> HttpResponse:
    position = access.position_for_chair(user=request.user, position_id=pk)
    terms = position.group.terms.filter(state=IN_FORCE).first()
    form = VoteOpenForm(
        posted(request),
        initial=VoteOpenForm.initial_for(terms.voting_window_hours if terms else 168),
    )
    if request.method == "POST" and form.is_valid():
        vote = attempt(
            form,
            lambda: services.vote_open(
                position=position, actor=request.user, closes_at=form.closes_at()
            ),
        )
        if vote is not None:
            messages.success(request, f"Round {vote.round} of the vote is open.")
            return redirect("groups:vote-detail", vote.pk)
    members = GroupMembership.objects.current().filter(group=position.group)
    recused = set(position.declarations.values_list("member_id", flat=True))
    return render(
        request,
        "groups/vote_open.html",
        {
            "form": form,
            "position": position,
            "group": position.group,
            "terms": terms,
            "members": members.select_related("user"),
            "recused": recused,
        },
    )


@login_required
@require_GET
def detail(request: AuthedRequest, pk: int) -> HttpResponse:
    vote = access.vote_for_reader(user=request.user, vote_id=pk)
    return _render(request, vote)


def _render(request: AuthedRequest, vote: Vote, form: BallotForm | None = None) -> HttpResponse:
    page = selectors.vote_page(vote, request.user)
    can_vote = (
        vote.is_open
        and page.my_eligibility is not None
        and not page.my_eligibility.recused
        and not (vote.is_secret and request.user.pk in page.voted_ids)
    )
    if form is None and can_vote:
        initial = {}
        if page.my_ballot is not None:
            initial = {"choice": page.my_ballot.choice, "reason": page.my_ballot.reason}
        form = BallotForm(vote=vote, initial=initial)
    ballots = {b.voter_id: b for b in page.ballots}
    rows = [
        {
            "member": e.member,
            "recused": e.recused,
            "voted": e.member_id in page.voted_ids,
            "choice": vote.choice_label(ballots[e.member_id].choice)
            if e.member_id in ballots
            else "",
            "reason": ballots[e.member_id].reason if e.member_id in ballots else "",
        }
        for e in page.eligibility
    ]
    choices = [
        (value, vote.choice_label(value), page.count[value] if page.count else None)
        for value in ("for", "against", "abstain")
    ]
    return render(
        request,
        "groups/vote_detail.html",
        {
            "vote": vote,
            "page": page,
            "group": vote.group,
            "form": form if can_vote else None,
            "can_vote": can_vote,
            "choices": choices,
            "rows": rows,
            "show_ballots": bool(page.ballots),
            "my_choice": vote.choice_label(page.my_ballot.choice) if page.my_ballot else "",
            "is_chair": access.is_chair(request.user, vote.group),
            "all_voted": page.turnout >= vote.eligible_count,
            "in_force_now": vote.group.terms.filter(state=IN_FORCE).first(),
        },
    )


@login_required
@require_POST
def cast(request: AuthedRequest, pk: int) -> HttpResponse:
    vote = access.vote_for_member(user=request.user, vote_id=pk)
    form = BallotForm(request.POST, vote=vote)
    if not form.is_valid():
        return _render(request, vote, form)
    result = act(
        request,
        lambda: services.vote_cast(
            vote=vote,
            voter=request.user,
            choice=form.cleaned_data["choice"],
            reason=form.cleaned_data.get("reason", ""),
        ),
    )
    if result is not None:
        messages.success(request, result.message)
    return redirect("groups:vote-detail", vote.pk)


@login_required
@require_POST
def close(request: AuthedRequest, pk: int) -> HttpResponse:
    vote = access.vote_for_chair(user=request.user, vote_id=pk)
    closed = act(
        request,
        lambda: services.vote_close(vote=vote, actor=request.user),
    )
    if closed is not None:
        messages.success(request, f"The vote has closed: {closed.get_outcome_display()}.")
    return redirect("groups:vote-detail", vote.pk)
