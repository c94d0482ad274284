"""Consultations on a draft position: the position's consultations, opening one, its summary,
the chair's close and extension, and the answer page a personal link opens (no sign-in).
Thin: access, form, service, message, redirect.

Access: the group's readers (members, chair, the ICS's staff reviewers) read; the position's
authors and the chair open; the chair closes and extends. Another ICS's consultation is a
404, a wrong role in the ICS a 403 (groups.access). The answer page answers only to a link
that still works, and says nothing about why one does not.
"""

from __future__ import annotations

from typing import Any

from crispy_forms.layout import HTML, Layout
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from engagement.models.consultations import STAKEHOLDER_KINDS, Consultation, Stance
from engagement.models.register import OrganisationKind
from engagement.services import consultations as services
from groups import access as group_access
from groups.forms.common import NHSForm
from groups.models import PCN, GroupMembership, Place, Position
from groups.views.common import GET_POST, act, attempt, posted
from icsvoice import links
from icsvoice.forms_nhsuk import DateField
from icsvoice.http import AuthedRequest
from icsvoice.text import markup_in

LINK_SCOPE = "consultation"

# --- Access ------------------------------------------------------------------------------------


def _consultation(user: Any, pk: int, *, chair: bool = False) -> Consultation:
    consultation = (
        Consultation.objects.select_related(
            "group__ics", "position__current_version", "version", "opened_by", "closed_by"
        )
        .filter(pk=pk)
        .first()
    )
    if consultation is None:
        raise Http404("No such consultation.")
    if chair:
        group_access.group_for_chair(user=user, group_id=consultation.group_id)
    else:
        group_access.group_for_reader(user=user, group_id=consultation.group_id)
    return consultation


def _is_author_or_chair(user: Any, position: Position) -> bool:
    membership = (
        GroupMembership.objects.current().filter(group_id=position.group_id, user=user).first()
    )
    if membership is None:
        return False
    return (
        membership.role == GroupMembership.Role.CHAIR
        or position.created_by_id == user.pk
        or position.coauthors.filter(pk=user.pk).exists()
    )


# --- Forms -------------------------------------------------------------------------------------


class _Named(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


WHO = (
    '<h2 class="nhsuk-heading-m">Who to consult</h2>'
    "<p>Choose any mix of these. Someone in two of them is asked once.</p>"
)


class OpenForm(NHSForm):
    closes_on = DateField(
        label="Closing date",
        help_text="It closes at the end of this day, UK time. For example, 27 3 2027",
        error_messages={"required": "Enter the closing date"},
    )
    practices = forms.MultipleChoiceField(
        label="GP practices",
        required=False,
        choices=[("all", "Every GP practice in the ICS")],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose every GP practice, or none"},
    )
    pcns = _Named(
        label="Primary care networks",
        required=False,
        queryset=PCN.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Each PCN chosen, and its practices.",
        error_messages={"invalid_choice": "Choose PCNs from the list"},
    )
    places = _Named(
        label="Places",
        required=False,
        queryset=Place.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="The practices and PCNs in each place chosen.",
        error_messages={"invalid_choice": "Choose places from the list"},
    )
    kinds = forms.MultipleChoiceField(
        label="Partner organisations",
        required=False,
        choices=[(kind, OrganisationKind(kind).label) for kind in STAKEHOLDER_KINDS],
        widget=forms.CheckboxSelectMultiple,
        help_text="Every organisation of each kind in the ICS's stakeholder register.",
        error_messages={"invalid_choice": "Choose kinds of organisation from the list"},
    )

    def __init__(self, *args: Any, ics_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pcns = self.fields["pcns"]
        places = self.fields["places"]
        assert isinstance(pcns, forms.ModelMultipleChoiceField)
        assert isinstance(places, forms.ModelMultipleChoiceField)
        pcns.queryset = PCN.objects.filter(ics_id=ics_id, closed_on__isnull=True).order_by("name")
        places.queryset = Place.objects.filter(ics_id=ics_id).order_by("name")
        if not places.queryset.exists():
            del self.fields["places"]
        audiences = [name for name in self.fields if name != "closes_on"]
        self.helper.layout = Layout("closes_on", HTML(WHO), *audiences)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        audiences = ("practices", "pcns", "places", "kinds")
        chosen = any(data.get(name) for name in audiences)
        if not chosen and not any(name in self.errors for name in audiences):
            self.add_error("practices", "Choose who to consult")
        return data

    def audiences(self) -> services.Audiences:
        data = self.cleaned_data
        return services.Audiences(
            all_practices="all" in (data.get("practices") or []),
            pcns=list(data.get("pcns") or []),
            places=list(data.get("places") or []),
            kinds=list(data.get("kinds") or []),
        )


class ExtendForm(NHSForm):
    closes_on = DateField(
        label="New closing date",
        help_text="It closes at the end of this day, UK time. For example, 27 3 2027",
        error_messages={"required": "Enter the new closing date"},
    )


def _plain_text(value: str) -> None:
    found = markup_in(value or "")
    if found:
        raise forms.ValidationError(services.PLAIN_TEXT.format(found=found), code="markup")


class AnswerForm(NHSForm):
    stance = forms.ChoiceField(
        label="Does your organisation support this position?",
        choices=Stance.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose whether your organisation supports the position",
            "invalid_choice": "Choose whether your organisation supports the position",
        },
    )
    text = forms.CharField(
        label="Your answer",
        max_length=services.ANSWER_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        validators=[_plain_text],
        help_text="Needed if you would change it or have concerns: say what, and why. "
        "Optional if you support it. Plain text. The group sees it with your organisation's "
        "name, not yours.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        stance = data.get("stance")
        missing = not (data.get("text") or "").strip() and "text" not in self.errors
        if stance and stance != Stance.SUPPORT and missing:
            self.add_error(
                "text",
                "Enter the changes your organisation would make"
                if stance == Stance.SUPPORT_WITH_CHANGES
                else "Enter your organisation's concerns",
            )
        return data


# --- The group's pages --------------------------------------------------------------------------


@login_required
@require_GET
def position_consultations(request: AuthedRequest, position_id: int) -> HttpResponse:
    position = group_access.position_for_reader(user=request.user, position_id=position_id)
    rows = list(
        Consultation.objects.filter(position=position)
        .select_related("version")
        .order_by("-opened_at", "-pk")
    )
    may_open = _is_author_or_chair(request.user, position) and not services.open_refusal(position)
    return render(
        request,
        "engagement/consultations/position.html",
        {
            "position": position,
            "group": position.group,
            "consultations": rows,
            "may_open": may_open,
            "now": timezone.now(),
        },
    )


@login_required
@GET_POST
def consultation_open(request: AuthedRequest, position_id: int) -> HttpResponse:
    position = group_access.position_for_author(user=request.user, position_id=position_id)
    form = OpenForm(posted(request), ics_id=position.group.ics_id)
    refusal = services.open_refusal(position)
    if request.method == "POST" and not refusal and form.is_valid():
        consultation = attempt(
            form,
            lambda: services.consultation_open(
                position=position,
                actor=request.user,
                closes_on=form.cleaned_data["closes_on"],
                audiences=form.audiences(),
            ),
        )
        if consultation is not None:
            invited = consultation.invitations.count()
            messages.success(
                request,
                f"The consultation is open: {invited} "
                f"{'person has' if invited == 1 else 'people have'} been emailed a link.",
            )
            return redirect("engagement:consultation-detail", consultation.pk)
    return render(
        request,
        "engagement/consultations/open.html",
        {"form": form, "position": position, "group": position.group, "refusal": refusal},
    )


@login_required
@require_GET
def consultation_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _consultation(request.user, pk)
    return render(
        request,
        "engagement/consultations/detail.html",
        {
            "consultation": consultation,
            "position": consultation.position,
            "group": consultation.group,
            "summary": services.consultation_summary(consultation),
            "pcns": list(consultation.pcns.order_by("name")),
            "places": list(consultation.places.order_by("name")),
            "is_open": consultation.is_open(),
            "is_chair": group_access.is_chair(request.user, consultation.group),
        },
    )


@login_required
@require_POST
def consultation_close(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _consultation(request.user, pk, chair=True)
    done = act(
        request,
        lambda: services.consultation_close(consultation=consultation, actor=request.user),
    )
    if done is not None:
        messages.success(request, "The consultation is closed. Its links no longer work.")
    return redirect("engagement:consultation-detail", consultation.pk)


@login_required
@GET_POST
def consultation_extend(request: AuthedRequest, pk: int) -> HttpResponse:
    consultation = _consultation(request.user, pk, chair=True)
    form = ExtendForm(posted(request))
    if request.method == "POST" and consultation.is_open() and form.is_valid():
        done = attempt(
            form,
            lambda: services.consultation_extend(
                consultation=consultation,
                closes_on=form.cleaned_data["closes_on"],
                actor=request.user,
            ),
            field="closes_on",
        )
        if done is not None:
            messages.success(
                request,
                f"The consultation now closes at the end of {done.closes_on:%-d %B %Y}. "
                "The links already sent work until then.",
            )
            return redirect("engagement:consultation-detail", consultation.pk)
    return render(
        request,
        "engagement/consultations/extend.html",
        {
            "form": form,
            "consultation": consultation,
            "position": consultation.position,
            "group": consultation.group,
            "is_open": consultation.is_open(),
        },
    )


# --- The personal link -------------------------------------------------------------------------


@never_cache
@GET_POST
def consultation_respond(request: HttpRequest, token: str) -> HttpResponse:
    if links.throttled(request, LINK_SCOPE):
        return links.too_many(request)
    invitation = services.invitation_for_token(token)
    if invitation is None:
        links.missed(request, LINK_SCOPE)
        return _private(links.link_not_working(request))
    answer = services.answer_of(invitation)
    initial = {"stance": answer.stance, "text": answer.text} if answer else {}
    form = AnswerForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = attempt(
            form,
            lambda: services.answer_record(
                invitation=invitation,
                stance=form.cleaned_data["stance"],
                text=form.cleaned_data["text"],
            ),
        )
        if saved is not None:
            messages.success(
                request,
                "Thank you: your answer is recorded. You can change it here until the "
                "consultation closes.",
            )
            return _private(redirect(request.path))
    consultation = invitation.consultation
    return _private(
        render(
            request,
            "engagement/consultations/respond.html",
            {
                "form": form,
                "invitation": invitation,
                "answer": answer,
                "consultation": consultation,
                "position": consultation.position,
                "version": consultation.version,  # what was asked, not a later draft
                "group": consultation.group,
            },
        )
    )


def _private(response: HttpResponse) -> HttpResponse:
    """A personal link's page is not kept by caches, and its address (the token) is not
    sent on as a referrer: only the site's origin is. Not "no-referrer", with which
    browsers send the form's Origin as "null" and the CSRF check refuses it."""
    response["Referrer-Policy"] = "strict-origin"
    return response


urlpatterns = [
    path(
        "positions/<int:position_id>/consultations/",
        position_consultations,
        name="position-consultations",
    ),
    path(
        "positions/<int:position_id>/consultations/new/",
        consultation_open,
        name="consultation-open",
    ),
    path("consultations/<int:pk>/", consultation_detail, name="consultation-detail"),
    path("consultations/<int:pk>/close/", consultation_close, name="consultation-close"),
    path("consultations/<int:pk>/extend/", consultation_extend, name="consultation-extend"),
    path(
        "respond/consultation/<str:token>/",
        consultation_respond,
        name="consultation-respond",
    ),
]
