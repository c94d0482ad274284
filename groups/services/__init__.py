"""Every write on the primary care side, one module per part. Each service writes its
audit event (and queues its notifications) in its own transaction."""

from groups.services.common import PositionError, VoteError
from groups.services.interests import (
    InterestError,
    declaration_add,
    interest_end,
    interest_register,
)
from groups.services.memberships import (
    MembershipError,
    membership_add,
    membership_end,
    membership_set_role,
    reviewer_add,
    terms_adopt_initial,
)
from groups.services.positions import (
    amendment_accept,
    amendment_decline,
    amendment_propose,
    attachment_add,
    comment_add,
    position_draft,
    position_revise,
    position_set_coauthors,
    position_withdraw,
)
from groups.services.terms import TermsError, terms_propose, terms_withdraw
from groups.services.votes import (
    CastResult,
    vote_cast,
    vote_close,
    vote_open,
    vote_open_on_terms,
    votes_close_due,
)

__all__ = [
    "CastResult",
    "InterestError",
    "MembershipError",
    "PositionError",
    "TermsError",
    "VoteError",
    "amendment_accept",
    "amendment_decline",
    "amendment_propose",
    "attachment_add",
    "comment_add",
    "declaration_add",
    "interest_end",
    "interest_register",
    "membership_add",
    "membership_end",
    "membership_set_role",
    "position_draft",
    "position_revise",
    "position_set_coauthors",
    "position_withdraw",
    "reviewer_add",
    "terms_adopt_initial",
    "terms_propose",
    "terms_withdraw",
    "vote_cast",
    "vote_close",
    "vote_open",
    "vote_open_on_terms",
    "votes_close_due",
]
