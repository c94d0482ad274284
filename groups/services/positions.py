"""Writes on positions: drafting, revising, co-authors, comments, amendments, evidence,
declarations of interest and withdrawal. Each writes its audit event and queues its
notifications in its own transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from groups.models import (
    POSITION_MOVES,
    VERSION_FIELDS,
    Amendment,
    Attachment,
    Comment,
    GroupMembership,
    LeadershipGroup,
    Position,
    PositionVersion,
)
from groups.services.common import (
    PositionError,
    author_ids,
    chair_ids,
    position_url,
    require_author_or_chair,
    require_member,
    role_code,
)
from icsvoice import audit
from icsvoice.models import User
from icsvoice.notifications import notify
from icsvoice.text import check_links, check_plain, render_markdown
from icsvoice.uploads import check_pdf

EDITABLE = (Position.State.DRAFT, Position.State.NOT_AGREED, Position.State.INQUORATE)
REQUIRED = ("title", "summary", "ask")
LABELS = dict(VERSION_FIELDS)


def _clean_text(fields: dict[str, Any]) -> dict[str, str]:
    """Trims, checks required parts, refuses markup and bad links."""
    text = {name: (fields.get(name) or "").strip() for name, _ in VERSION_FIELDS}
    for name in REQUIRED:
        if not text[name]:
            raise PositionError(f"Enter the {LABELS[name].lower()}.")
    check_plain({LABELS[name]: value for name, value in text.items() if name != "evidence_links"})
    text["evidence_links"] = "\n".join(check_links(text["evidence_links"]))
    return text


# How a state reads in "This position is ...", and what moving to a state is called.
_IS = {
    Position.State.DRAFT: "a draft",
    Position.State.VOTING: "being voted on",
    Position.State.AGREED: "agreed",
    Position.State.NOT_AGREED: "not agreed",
    Position.State.INQUORATE: "inquorate",
    Position.State.WITHDRAWN: "withdrawn",
}
_MOVING_TO = {
    Position.State.DRAFT: "revised",
    Position.State.VOTING: "put to a vote",
    Position.State.WITHDRAWN: "withdrawn",
}


def _locked(position: Position) -> Position:
    """The position's row as it is now, locked until the transaction ends, so a check on
    its state cannot race a vote opening or a withdrawal."""
    fresh = (
        Position.objects.select_for_update(of=("self",))
        .select_related("group", "current_version")
        .get(pk=position.pk)
    )
    position.state = fresh.state
    return fresh


def _move(position: Position, to: str) -> None:
    """Compare-and-swap from the state the caller saw; refuses moves the table forbids."""
    if to not in POSITION_MOVES[position.state]:
        raise PositionError(
            f"This position is {_IS[Position.State(position.state)]}, so it cannot be "
            f"{_MOVING_TO.get(Position.State(to), 'closed')}."
        )
    moved = Position.objects.filter(pk=position.pk, state=position.state).update(
        state=to, updated_at=timezone.now()
    )
    if moved != 1:
        raise PositionError("Someone else changed this position just now: reload and try again.")
    position.state = to


def _require_editable(position: Position) -> None:
    if position.state not in EDITABLE:
        raise PositionError(
            f"This position is {_IS[Position.State(position.state)]}, so it cannot be changed."
        )


def _add_version(
    position: Position, *, actor: User, text: dict[str, str], change_note: str
) -> PositionVersion:
    number = (
        position.versions.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    version = PositionVersion.objects.create(
        position=position,
        number=number,
        body_html=render_markdown(text["body"]),
        change_note=change_note[:300],
        created_by=actor,
        **text,
    )
    Position.objects.filter(pk=position.pk).update(
        current_version=version, updated_at=timezone.now()
    )
    position.current_version = version
    return version


def _check_coauthors(
    group: LeadershipGroup, coauthors: Iterable[User], creator: User
) -> list[User]:
    people = [u for u in coauthors if u.pk != creator.pk]
    members = set(
        GroupMembership.objects.current()
        .filter(group=group, user__in=people)
        .values_list("user_id", flat=True)
    )
    outsiders = [str(u) for u in people if u.pk not in members]
    if outsiders:
        raise PositionError(f"Co-authors must be current members: {', '.join(outsiders)} is not.")
    return people


@transaction.atomic
def position_draft(
    *,
    group: LeadershipGroup,
    actor: User,
    theme: str = Position.Theme.OTHER,
    coauthors: Iterable[User] = (),
    **fields: Any,
) -> Position:
    """A member starts a position; its first version holds the text."""
    membership = require_member(group, actor)
    text = _clean_text(fields)
    if theme not in Position.Theme.values:
        raise PositionError("Choose a theme from the list.")
    people = _check_coauthors(group, coauthors, actor)
    position = Position.objects.create(group=group, created_by=actor, theme=theme)
    position.coauthors.set(people)
    version = _add_version(position, actor=actor, text=text, change_note="First draft")
    audit.record(
        event="position.drafted",
        actor=actor,
        role=role_code(membership),
        obj=position,
        ics_id=group.ics_id,
        payload={
            "group": group.pk,
            "version": version.number,
            "title": version.title,
            "theme": theme,
            "coauthors": [u.pk for u in people],
        },
    )
    notify(
        kind="position.coauthor_added",
        obj=position,
        recipients=people,
        subject=f"You are a co-author of “{version.title}”",
        body=f"{actor} added you as a co-author of a draft position in {group}.",
        url=position_url(position),
    )
    return position


@transaction.atomic
def position_revise(
    *, position: Position, actor: User, change_note: str = "", **fields: Any
) -> PositionVersion:
    """An author or the chair saves a new version. Revising a position that was not agreed
    or inquorate returns it to draft, ready for a new round."""
    membership = require_author_or_chair(position, actor)
    position = Position.objects.select_for_update().get(pk=position.pk)
    _require_editable(position)
    current = position.current_version
    assert current is not None
    text = _clean_text(
        {name: fields.get(name, getattr(current, name)) for name, _ in VERSION_FIELDS}
    )
    check_plain({"What changed": change_note})
    if all(getattr(current, name) == value for name, value in text.items()):
        raise PositionError("Nothing has changed, so no new version was made.")
    previous_state = position.state
    if position.state != Position.State.DRAFT:
        _move(position, Position.State.DRAFT)
    version = _add_version(position, actor=actor, text=text, change_note=change_note.strip())
    audit.record(
        event="position.revised",
        actor=actor,
        role=role_code(membership),
        obj=position,
        ics_id=position.group.ics_id,
        payload={
            "version": version.number,
            "from_version": current.number,
            "changed": [name for name, value in text.items() if getattr(current, name) != value],
            "from_state": previous_state,
        },
    )
    notify(
        kind="position.revised",
        obj=position,
        recipients=author_ids(position),
        version=version.number,
        subject=f"New version of “{version.title}”",
        body=f"{actor} saved version {version.number}. {change_note}".strip(),
        url=position_url(position),
        exclude=actor,
    )
    return version


@transaction.atomic
def position_set_coauthors(
    *, position: Position, actor: User, coauthors: Iterable[User]
) -> Position:
    membership = require_author_or_chair(position, actor)
    position = _locked(position)
    if position.state == Position.State.WITHDRAWN:
        raise PositionError("This position has been withdrawn.")
    creator = position.created_by
    people = _check_coauthors(position.group, coauthors, creator)
    before = set(position.coauthors.values_list("pk", flat=True))
    position.coauthors.set(people)
    after = {u.pk for u in people}
    audit.record(
        event="position.coauthors_changed",
        actor=actor,
        role=role_code(membership),
        obj=position,
        ics_id=position.group.ics_id,
        payload={"added": sorted(after - before), "removed": sorted(before - after)},
    )
    notify(
        kind="position.coauthor_added",
        obj=position,
        recipients=after - before,
        subject=f"You are a co-author of “{position.title}”",
        body=f"{actor} added you as a co-author of a position in {position.group}.",
        url=position_url(position),
    )
    return position


@transaction.atomic
def position_withdraw(*, position: Position, actor: User, reason: str) -> Position:
    """Authors or the chair withdraw a draft (or a position that was not agreed)."""
    membership = require_author_or_chair(position, actor)
    reason = reason.strip()
    if not reason:
        raise PositionError("Say why the position is being withdrawn.")
    check_plain({"The reason": reason})
    position = Position.objects.select_for_update().get(pk=position.pk)
    previous = position.state
    _move(position, Position.State.WITHDRAWN)
    audit.record(
        event="position.withdrawn",
        actor=actor,
        role=role_code(membership),
        obj=position,
        ics_id=position.group.ics_id,
        payload={"from_state": previous, "reason": reason},
    )
    notify(
        kind="position.withdrawn",
        obj=position,
        recipients=author_ids(position) | set(chair_ids(position.group)),
        subject=f"“{position.title}” was withdrawn",
        body=f"{actor} withdrew it: {reason}",
        url=position_url(position),
        exclude=actor,
    )
    return position


@transaction.atomic
def comment_add(*, position: Position, actor: User, body: str) -> Comment:
    membership = require_member(position.group, actor)
    body = body.strip()
    if not body:
        raise PositionError("Enter your comment.")
    check_plain({"Your comment": body})
    position = _locked(position)
    if position.state == Position.State.WITHDRAWN:
        raise PositionError("This position has been withdrawn, so it is closed for comments.")
    assert position.current_version is not None
    comment = Comment.objects.create(
        position=position, version=position.current_version, author=actor, body=body
    )
    audit.record(
        event="position.commented",
        actor=actor,
        role=role_code(membership),
        obj=position,
        ics_id=position.group.ics_id,
        payload={"comment": comment.pk, "version": position.current_version.number},
    )
    notify(
        kind="position.commented",
        obj=comment,
        recipients=author_ids(position),
        subject=f"New comment on “{position.title}”",
        body=f"{actor} commented: {body[:500]}",
        url=position_url(position),
        exclude=actor,
    )
    return comment


@transaction.atomic
def amendment_propose(
    *, position: Position, actor: User, field: str, proposed_text: str, reason: str
) -> Amendment:
    membership = require_member(position.group, actor)
    position = _locked(position)
    _require_editable(position)
    if field not in LABELS:
        raise PositionError("Choose which part of the position to amend.")
    proposed_text, reason = proposed_text.strip(), reason.strip()
    if not reason:
        raise PositionError("Say why you propose this amendment.")
    if field in REQUIRED and not proposed_text:
        raise PositionError(f"The {LABELS[field].lower()} cannot be empty.")
    if field == "evidence_links":
        proposed_text = "\n".join(check_links(proposed_text))
        check_plain({"Your reason": reason})
    else:
        check_plain({"Your amendment": proposed_text, "Your reason": reason})
    current = position.current_version
    assert current is not None
    if getattr(current, field) == proposed_text:
        raise PositionError("Your amendment is the same as the current text.")
    amendment = Amendment.objects.create(
        position=position,
        base_version=current,
        field=field,
        proposed_text=proposed_text,
        reason=reason,
        proposed_by=actor,
    )
    audit.record(
        event="position.amendment_proposed",
        actor=actor,
        role=role_code(membership),
        obj=amendment,
        ics_id=position.group.ics_id,
        payload={"position": position.pk, "version": current.number, "field": field},
    )
    notify(
        kind="position.amendment_proposed",
        obj=amendment,
        recipients=author_ids(position) | set(chair_ids(position.group)),
        subject=f"Amendment proposed to “{position.title}”",
        body=f"{actor} proposes a change to the {LABELS[field].lower()}: {reason[:500]}",
        url=position_url(position),
        exclude=actor,
    )
    return amendment


def _decide(amendment: Amendment, state: str, actor: User, **fields: Any) -> None:
    moved = Amendment.objects.filter(pk=amendment.pk, state=Amendment.State.PROPOSED).update(
        state=state, decided_by=actor, decided_at=timezone.now(), **fields
    )
    if moved != 1:
        raise PositionError("This amendment has already been decided.")
    amendment.refresh_from_db()


@transaction.atomic
def amendment_accept(*, amendment: Amendment, actor: User) -> PositionVersion:
    """An author or the chair accepts: a new version with the amended part."""
    position = amendment.position
    membership = require_author_or_chair(position, actor)
    position = _locked(position)
    _require_editable(position)
    current = position.current_version
    assert current is not None
    field = amendment.field
    if getattr(current, field) != getattr(amendment.base_version, field):
        raise PositionError(
            f"The {LABELS[field].lower()} has changed since this amendment was proposed "
            f"against version {amendment.base_version.number}, so accepting it would undo that "
            "change. Decline it, and ask for it to be proposed again against the current text."
        )
    _decide(amendment, Amendment.State.ACCEPTED, actor)
    version = position_revise(
        position=position,
        actor=actor,
        change_note=f"Accepted amendment {amendment.pk} from {amendment.proposed_by}",
        **{amendment.field: amendment.proposed_text},
    )
    Amendment.objects.filter(pk=amendment.pk).update(resulting_version=version)
    audit.record(
        event="position.amendment_accepted",
        actor=actor,
        role=role_code(membership),
        obj=amendment,
        ics_id=position.group.ics_id,
        payload={"position": position.pk, "version": version.number},
    )
    notify(
        kind="position.amendment_decided",
        obj=amendment,
        recipients=[amendment.proposed_by_id],
        subject=f"Your amendment to “{position.title}” was accepted",
        body=f"{actor} accepted it; it is in version {version.number}.",
        url=position_url(position),
        exclude=actor,
    )
    return version


@transaction.atomic
def amendment_decline(*, amendment: Amendment, actor: User, reason: str) -> Amendment:
    position = amendment.position
    membership = require_author_or_chair(position, actor)
    reason = reason.strip()
    if not reason:
        raise PositionError("Say why the amendment is declined.")
    check_plain({"The reason": reason})
    _decide(amendment, Amendment.State.DECLINED, actor, decline_reason=reason)
    audit.record(
        event="position.amendment_declined",
        actor=actor,
        role=role_code(membership),
        obj=amendment,
        ics_id=position.group.ics_id,
        payload={"position": position.pk, "reason": reason},
    )
    notify(
        kind="position.amendment_decided",
        obj=amendment,
        recipients=[amendment.proposed_by_id],
        subject=f"Your amendment to “{position.title}” was declined",
        body=f"{actor} declined it: {reason}",
        url=position_url(position),
        exclude=actor,
    )
    return amendment


@transaction.atomic
def attachment_add(
    *, position: Position, actor: User, title: str, upload: UploadedFile
) -> Attachment:
    membership = require_author_or_chair(position, actor)
    position = _locked(position)
    if position.state == Position.State.WITHDRAWN:
        raise PositionError("This position has been withdrawn.")
    title = title.strip()
    if not title:
        raise PositionError("Enter a title for the document.")
    check_plain({"The title": title})
    pdf = check_pdf(upload, error=PositionError)
    attachment = Attachment(
        position=position,
        title=title,
        sha256=pdf.sha256,
        size=pdf.size,
        pages=pdf.pages,
        uploaded_by=actor,
    )
    attachment.file.save(f"{pdf.sha256[:16]}.pdf", ContentFile(pdf.data), save=False)
    attachment.save()
    audit.record(
        event="position.evidence_added",
        actor=actor,
        role=role_code(membership),
        obj=attachment,
        ics_id=position.group.ics_id,
        payload={"position": position.pk, "title": title, "sha256": attachment.sha256},
    )
    return attachment
