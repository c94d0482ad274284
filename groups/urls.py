from django.urls import path

from groups.views import groups, interests, positions, terms, votes

app_name = "groups"

urlpatterns = [
    path("groups/", groups.group_list, name="group-list"),
    path("groups/<int:group_id>/", groups.group_detail, name="group-detail"),
    # Positions
    path("groups/<int:group_id>/positions/new/", positions.create, name="position-create"),
    path("positions/<int:pk>/", positions.detail, name="position-detail"),
    path("positions/<int:pk>/edit/", positions.edit, name="position-edit"),
    path("positions/<int:pk>/versions/<int:number>/", positions.version, name="position-version"),
    path("positions/<int:pk>/compare/", positions.compare, name="position-compare"),
    path("positions/<int:pk>/coauthors/", positions.coauthors, name="position-coauthors"),
    path("positions/<int:pk>/withdraw/", positions.withdraw, name="position-withdraw"),
    path("positions/<int:pk>/comments/", positions.comment, name="position-comment"),
    path("positions/<int:pk>/amendments/new/", positions.amend, name="amendment-create"),
    path("amendments/<int:pk>/accept/", positions.amendment_accept, name="amendment-accept"),
    path("amendments/<int:pk>/decline/", positions.amendment_decline, name="amendment-decline"),
    path("positions/<int:pk>/evidence/", positions.evidence_upload, name="attachment-upload"),
    path("evidence/<int:pk>/", positions.evidence_download, name="attachment-download"),
    path("positions/<int:pk>/declare/", positions.declare, name="position-declare"),
    # Votes
    path("positions/<int:pk>/vote/", votes.open_on_position, name="vote-open"),
    path("votes/<int:pk>/", votes.detail, name="vote-detail"),
    path("votes/<int:pk>/cast/", votes.cast, name="vote-cast"),
    path("votes/<int:pk>/close/", votes.close, name="vote-close"),
    # Terms of reference
    path("groups/<int:group_id>/terms/", terms.terms_list, name="terms-list"),
    path("groups/<int:group_id>/terms/propose/", terms.propose, name="terms-propose"),
    path("groups/<int:group_id>/terms/compare/", terms.compare, name="terms-compare"),
    path("groups/<int:group_id>/terms/<int:version>/", terms.detail, name="terms-detail"),
    path(
        "groups/<int:group_id>/terms/<int:version>/vote/", terms.open_vote, name="terms-vote-open"
    ),
    path(
        "groups/<int:group_id>/terms/<int:version>/withdraw/",
        terms.withdraw,
        name="terms-withdraw",
    ),
    # Register of interests
    path("groups/<int:group_id>/interests/", interests.register, name="interests"),
    path("groups/<int:group_id>/interests/new/", interests.create, name="interest-create"),
    path("interests/<int:pk>/end/", interests.end, name="interest-end"),
]
