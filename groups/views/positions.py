"""Position pages: draft, read, revise, compare, comment, amend, evidence, declare, withdraw.
Thin: access, form, service, message, redirect. A refused service call becomes a form
error (or an error message on POST-only actions), never a 500."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from groups import access, selectors, services
from groups.diff import word_diff
from groups.forms.positions import (
    AmendmentForm,
    CoauthorsForm,
    CommentForm,
    DeclarationForm,
    EvidenceForm,
    PositionCreateForm,
    PositionEditForm,
    ReasonForm,
)
from groups.models import VERSION_FIELDS, Position
from groups.services.common import position_url
from groups.views.common import GET_POST, act, attempt, posted, posted_files
from icsvoice.http import AuthedRequest
from icsvoice.registry import position_journey


def _detail(position: Position) -> HttpResponse:
    return redirect("groups:position-detail", position.pk)


@login_required
@GET_POST
def create(request: AuthedRequest, group_id: int) -> HttpResponse:
    group = access.group_for_member(user=request.user, group_id=group_id)
    members = selectors.current_members(group).exclude(pk=request.user.pk)
    form = PositionCreateForm(posted(request), members=members)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        position = attempt(
            form,
            lambda: services.position_draft(group=group, actor=request.user, **data),
        )
        if position is not None:
            messages.success(request, "Your draft position has been saved.")
            return _detail(position)
    return render(request, "groups/position_form.html", {"form": form, "group": group})


@login_required
@require_GET
def detail(request: AuthedRequest, pk: int) -> HttpResponse:
    position = access.position_for_reader(user=request.user, position_id=pk)
    return _render_detail(request, position)


def _render_detail(
    request: AuthedRequest, position: Position, comment_form: CommentForm | None = None
) -> HttpResponse:
    page = selectors.position_page(position, request.user)
    return render(
        request,
        "groups/position_detail.html",
        {
            "page": page,
            "position": position,
            "group": position.group,
            "version": position.current_version,
            "comment_form": comment_form or CommentForm(),
            "form": comment_form,
            "editable": position.state in services.positions.EDITABLE,
            "journey": position_journey(position),
        },
    )


@login_required
@GET_POST
def edit(request: AuthedRequest, pk: int) -> HttpResponse:
    position = access.position_for_author(user=request.user, position_id=pk)
    current = position.current_version
    initial = {name: getattr(current, name) for name, _ in VERSION_FIELDS}
    form = PositionEditForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = attempt(
            form,
            lambda: services.position_revise(position=position, actor=request.user, **data),
        )
        if version is not None:
            messages.success(request, f"Version {version.number} has been saved.")
            return _detail(position)
    return render(
        request,
        "groups/position_form.html",
        {"form": form, "group": position.group, "position": position},
    )


@login_required
@require_GET
def version(request: AuthedRequest, pk: int, number: int) -> HttpResponse:
    position = access.position_for_reader(user=request.user, position_id=pk)
    shown = position.versions.select_related("created_by").filter(number=number).first()
    if shown is None:
        raise Http404("No such version.")
    return render(
        request,
        "groups/position_version.html",
        {"position": position, "group": position.group, "version": shown},
    )


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


@login_required
@require_GET
def compare(request: AuthedRequest, pk: int) -> HttpResponse:
    position = access.position_for_reader(user=request.user, position_id=pk)
    versions = {v.number: v for v in position.versions.all()}
    latest = max(versions)
    old_n = _number(request.GET.get("from")) or max(latest - 1, 1)
    new_n = _number(request.GET.get("to")) or latest
    if old_n not in versions or new_n not in versions:
        raise Http404("No such version.")
    old, new = versions[old_n], versions[new_n]
    rows = [
        {
            "label": label,
            "changed": getattr(old, name) != getattr(new, name),
            "diff": word_diff(getattr(old, name), getattr(new, name)),
        }
        for name, label in VERSION_FIELDS
    ]
    return render(
        request,
        "groups/position_compare.html",
        {
            "position": position,
            "group": position.group,
            "old": old,
            "new": new,
            "rows": rows,
            "numbers": sorted(versions),
            "any_change": any(row["changed"] for row in rows),
        },
    )


@login_required
@GET_POST
def coauthors(request: AuthedRequest, pk: int) -> HttpResponse:
    position = access.position_for_author(user=request.user, position_id=pk)
    members = selectors.current_members(position.group).exclude(pk=position.created_by_id)
    form = CoauthorsForm(
        posted(request),
        members=members,
        initial={"coauthors": list(position.coauthors.all())},
    )
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            lambda: services.position_set_coauthors(
                position=position, actor=request.user, coauthors=form.cleaned_data["coauthors"]
            ),
        )
        if done is not None:
            messages.success(request, "Co-authors have been updated.")
            return _detail(position)
    return render(
        request,
        "groups/position_action.html",
        {
            "form": form,
            "position": position,
            "group": position.group,
            "title": "Choose co-authors",
            "button": "Save co-authors",
        },
    )


@login_required
@GET_POST
def withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    position = access.position_for_author(user=request.user, position_id=pk)
    form = ReasonForm(posted(request))
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            lambda: services.position_withdraw(
                position=position, actor=request.user, reason=form.cleaned_data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, "The position has been withdrawn.")
            return _detail(position)
    return render(
        request,
        "groups/position_action.html",
        {
            "form": form,
            "position": position,
            "group": position.group,
            "title": "Withdraw this position",
            "lede": "A withdrawn position stays on record but cannot be changed or voted on.",
            "button": "Withdraw position",
            "warning": True,
        },
    )


@login_required
@require_POST
def comment(request: AuthedRequest, pk: int) -> HttpResponse:
    position = access.position_for_member(user=request.user, position_id=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        done = attempt(
            form,
            lambda: services.comment_add(
                position=position, actor=request.user, body=form.cleaned_data["body"]
            ),
        )
        if done is not None:
            messages.success(request, "Your comment has been added.")
            return redirect(f"{position_url(position)}#comments")
    return _render_detail(request, position, comment_form=form)


@login_required
@GET_POST
def amend(request: AuthedRequest, pk: int) -> HttpResponse:
    position = access.position_for_member(user=request.user, position_id=pk)
    current = position.current_version
    chosen = request.GET.get("field")
    initial = {}
    if chosen in dict(VERSION_FIELDS):
        initial = {"field": chosen, "proposed_text": getattr(current, chosen)}
    form = AmendmentForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            lambda: services.amendment_propose(
                position=position,
                actor=request.user,
                field=form.cleaned_data["field"],
                proposed_text=form.cleaned_data["proposed_text"],
                reason=form.cleaned_data["reason"],
            ),
        )
        if done is not None:
            messages.success(request, "Your amendment has been sent to the authors.")
            return redirect(f"{position_url(position)}#amendments")
    return render(
        request,
        "groups/position_action.html",
        {
            "form": form,
            "position": position,
            "group": position.group,
            "title": "Propose an amendment",
            "lede": "The authors or the chair will accept it, making a new version, or decline "
            "it with a reason.",
            "button": "Propose amendment",
        },
    )


@login_required
@require_POST
def amendment_accept(request: AuthedRequest, pk: int) -> HttpResponse:
    amendment = access.amendment_for_author(user=request.user, amendment_id=pk)
    result = act(
        request,
        lambda: services.amendment_accept(amendment=amendment, actor=request.user),
    )
    if result is not None:
        messages.success(request, f"Amendment accepted: version {result.number} has been saved.")
    return redirect(f"{position_url(amendment.position)}#amendments")


@login_required
@GET_POST
def amendment_decline(request: AuthedRequest, pk: int) -> HttpResponse:
    amendment = access.amendment_for_author(user=request.user, amendment_id=pk)
    position = amendment.position
    form = ReasonForm(posted(request))
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            lambda: services.amendment_decline(
                amendment=amendment, actor=request.user, reason=form.cleaned_data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, "The amendment has been declined.")
            return redirect(f"{position_url(position)}#amendments")
    return render(
        request,
        "groups/position_action.html",
        {
            "form": form,
            "position": position,
            "group": position.group,
            "amendment": amendment,
            "title": "Decline the amendment",
            "lede": "Say why: the member who proposed it is told.",
            "button": "Decline amendment",
        },
    )


@login_required
@GET_POST
def evidence_upload(request: AuthedRequest, pk: int) -> HttpResponse:
    position = access.position_for_author(user=request.user, position_id=pk)
    form = EvidenceForm(posted(request), posted_files(request))
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            lambda: services.attachment_add(
                position=position,
                actor=request.user,
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
            ),
            field="file",
        )
        if done is not None:
            messages.success(request, "The document has been added.")
            return redirect(f"{position_url(position)}#evidence")
    return render(
        request,
        "groups/position_action.html",
        {
            "form": form,
            "position": position,
            "group": position.group,
            "title": "Add a PDF of evidence",
            "button": "Upload",
            "multipart": True,
        },
    )


@login_required
@require_GET
def evidence_download(request: AuthedRequest, pk: int) -> FileResponse:
    attachment = access.attachment_for_reader(user=request.user, attachment_id=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        # The row outlived its file (a restore without the media volume, say): not found,
        # rather than a server error.
        raise Http404("This document's file is missing.") from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{attachment.title[:80]}.pdf",
        content_type="application/pdf",
    )


@login_required
@GET_POST
def declare(request: AuthedRequest, pk: int) -> HttpResponse:
    position = access.position_for_member(user=request.user, position_id=pk)
    chair = access.is_chair(request.user, position.group)
    members = selectors.current_members(position.group) if chair else None
    initial = {"member": request.user.pk} if chair else {}
    form = DeclarationForm(posted(request), members=members, initial=initial)
    if request.method == "POST" and form.is_valid():
        member = form.cleaned_data.get("member") or request.user
        done = attempt(
            form,
            lambda: services.declaration_add(
                position=position,
                member=member,
                actor=request.user,
                category=form.cleaned_data["category"],
                description=form.cleaned_data["description"],
            ),
        )
        if done is not None:
            who = "You are" if member.pk == request.user.pk else f"{member} is"
            messages.success(
                request, f"The interest has been declared. {who} recused from votes on it."
            )
            return redirect(f"{position_url(position)}#interests")
    return render(
        request,
        "groups/position_action.html",
        {
            "form": form,
            "position": position,
            "group": position.group,
            "title": "Declare an interest",
            "lede": "A member who declares an interest is recused: they do not vote on this "
            "position and are not counted towards quorum. The declaration is recorded and "
            "shown on the position.",
            "button": "Declare interest",
        },
    )
