"""Terms of reference pages: every version, one version, two compared, and the chair's
proposal, vote and withdrawal. Thin: access, form, service, message, redirect. A refused
service call becomes a form error (or an error message on POST-only actions), never a 500."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_POST

from groups import access, services
from groups.diff import word_diff
from groups.forms.terms import TermsCompareForm, TermsForm
from groups.forms.votes import VoteOpenForm
from groups.models import TERMS_FIELDS, LeadershipGroup, TermsOfReference, Vote
from groups.views.common import GET_POST, act, attempt, posted
from icsvoice.http import AuthedRequest

State = TermsOfReference.State

LABELS = {
    "purpose": "Purpose",
    "membership_composition": "Membership",
    "quorum_kind": "How quorum is set",
    "quorum_value": "Quorum",
    "decision_rule": "Decision rule",
    "abstentions": "Abstentions",
    "voting_window_hours": "Voting window",
    "ballot": "Ballot",
    "results_hidden_until_close": "Count hidden until the vote closes",
    "review_date": "Review date",
    "board_route": "How positions reach the board",
}
TEXT_FIELDS = frozenset({"purpose", "membership_composition", "board_route"})


def shown(terms: TermsOfReference, name: str) -> str:
    """One field of a version as a person reads it."""
    value = getattr(terms, name)
    if name == "quorum_value":
        return terms.quorum_text
    if name == "voting_window_hours":
        return terms.voting_window_text
    if name == "results_hidden_until_close":
        return "Yes" if value else "No"
    if name == "review_date":
        return date_format(value, "j F Y")
    display = getattr(terms, f"get_{name}_display", None)
    return str(display()) if display else str(value)


def _version(group: LeadershipGroup, number: int) -> TermsOfReference:
    terms = group.terms.select_related("proposed_by").filter(version=number).first()
    if terms is None:
        raise Http404("No such version of the terms of reference.")
    return terms


def _detail(terms: TermsOfReference) -> HttpResponse:
    return redirect("groups:terms-detail", terms.group_id, terms.version)


@login_required
@require_GET
def terms_list(request: AuthedRequest, group_id: int) -> HttpResponse:
    group = access.group_for_reader(user=request.user, group_id=group_id)
    versions = list(group.terms.select_related("proposed_by").order_by("-version"))
    return render(
        request,
        "groups/terms_list.html",
        {
            "group": group,
            "versions": versions,
            "in_force": next((t for t in versions if t.state == State.IN_FORCE), None),
            "proposal": next((t for t in versions if t.state == State.PROPOSED), None),
            "is_chair": access.is_chair(request.user, group),
        },
    )


@login_required
@require_GET
def detail(request: AuthedRequest, group_id: int, version: int) -> HttpResponse:
    group = access.group_for_reader(user=request.user, group_id=group_id)
    return _render_detail(request, group, _version(group, version))


def _render_detail(
    request: AuthedRequest,
    group: LeadershipGroup,
    terms: TermsOfReference,
    vote_form: VoteOpenForm | None = None,
) -> HttpResponse:
    votes = list(terms.adoption_votes.order_by("-round"))
    open_vote = next((v for v in votes if v.state == Vote.State.OPEN), None)
    can_act = (
        terms.state == State.PROPOSED and open_vote is None and access.is_chair(request.user, group)
    )
    # A refused request to open a vote shows its error beside the form, even if the
    # proposal can no longer be put to a vote.
    show_vote_form = can_act or (vote_form is not None and bool(vote_form.errors))
    in_force = None
    if show_vote_form:
        in_force = group.terms.filter(state=State.IN_FORCE).first()
        if vote_form is None:
            window = in_force.voting_window_hours if in_force else terms.voting_window_hours
            vote_form = VoteOpenForm(initial=VoteOpenForm.initial_for(window))
    rows = [
        {"label": LABELS[name], "value": shown(terms, name), "text": name in TEXT_FIELDS}
        for name in TERMS_FIELDS
    ]
    return render(
        request,
        "groups/terms_detail.html",
        {
            "group": group,
            "terms": terms,
            "rows": rows,
            "votes": votes,
            "open_vote": open_vote,
            "can_act": can_act,
            "show_vote_form": show_vote_form,
            "in_force": in_force,
            "window": in_force.voting_window_text if in_force else "",
            "form": vote_form,
        },
    )


def _difference(old: TermsOfReference, new: TermsOfReference, name: str) -> dict[str, Any]:
    row: dict[str, Any] = {"label": LABELS[name], "text": name in TEXT_FIELDS}
    if row["text"]:
        row["diff"] = word_diff(getattr(old, name), getattr(new, name))
    else:
        row["old"], row["new"] = shown(old, name), shown(new, name)
    return row


@login_required
@require_GET
def compare(request: AuthedRequest, group_id: int) -> HttpResponse:
    group = access.group_for_reader(user=request.user, group_id=group_id)
    versions = {t.version: t for t in group.terms.order_by("version")}
    if not versions:
        raise Http404("This group has no terms of reference yet.")
    numbers = sorted(versions)
    in_force = next((n for n, t in versions.items() if t.state == State.IN_FORCE), None)
    proposed = next((n for n, t in versions.items() if t.state == State.PROPOSED), None)
    if proposed and in_force:
        defaults = {"from": in_force, "to": proposed}
    else:
        defaults = {"from": numbers[-2] if len(numbers) > 1 else numbers[-1], "to": numbers[-1]}
    data = {name: request.GET.get(name, str(default)) for name, default in defaults.items()}
    form = TermsCompareForm(data, versions=numbers)
    context: dict[str, Any] = {"group": group, "form": form, "numbers": numbers}
    if form.is_valid():
        old, new = versions[form.cleaned_data["from"]], versions[form.cleaned_data["to"]]
        changed = [n for n in TERMS_FIELDS if getattr(old, n) != getattr(new, n)]
        context.update(
            old=old,
            new=new,
            rows=[_difference(old, new, name) for name in changed],
            unchanged=[LABELS[n] for n in TERMS_FIELDS if n not in changed],
        )
    return render(request, "groups/terms_compare.html", context)


@login_required
@GET_POST
def propose(request: AuthedRequest, group_id: int) -> HttpResponse:
    group = access.group_for_chair(user=request.user, group_id=group_id)
    current = list(group.terms.filter(state__in=[State.IN_FORCE, State.PROPOSED]))
    in_force = next((t for t in current if t.state == State.IN_FORCE), None)
    pending = next((t for t in current if t.state == State.PROPOSED), None)
    form = TermsForm(posted(request), initial=TermsForm.initial_from(in_force))
    if request.method == "POST" and form.is_valid():
        proposal = attempt(
            form,
            lambda: services.terms_propose(group=group, actor=request.user, **form.terms_fields()),
        )
        if proposal is not None:
            messages.success(
                request,
                f"Version {proposal.version} has been proposed. Put it to a vote when the "
                "group is ready.",
            )
            return _detail(proposal)
    return render(
        request,
        "groups/terms_form.html",
        {"group": group, "form": form, "in_force": in_force, "pending": pending},
    )


@login_required
@require_POST
def open_vote(request: AuthedRequest, group_id: int, version: int) -> HttpResponse:
    group = access.group_for_chair(user=request.user, group_id=group_id)
    proposal = _version(group, version)
    form = VoteOpenForm(request.POST)
    if form.is_valid():
        vote = attempt(
            form,
            lambda: services.vote_open_on_terms(
                proposal=proposal, actor=request.user, closes_at=form.closes_at()
            ),
        )
        if vote is not None:
            messages.success(
                request, f"The vote on version {proposal.version} of the terms is open."
            )
            return redirect("groups:vote-detail", vote.pk)
    return _render_detail(request, group, proposal, vote_form=form)


@login_required
@require_POST
def withdraw(request: AuthedRequest, group_id: int, version: int) -> HttpResponse:
    group = access.group_for_chair(user=request.user, group_id=group_id)
    proposal = _version(group, version)
    done = act(
        request,
        lambda: services.terms_withdraw(proposal=proposal, actor=request.user),
    )
    if done is not None:
        messages.success(request, f"Version {proposal.version} has been withdrawn.")
    return _detail(proposal)
