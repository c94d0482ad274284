"""Placeholder: filled in by the terms-of-reference and register-of-interests screens."""

from django.http import Http404


def _missing(request, *args, **kwargs):
    raise Http404("Not built yet.")


terms_list = propose = compare = detail = open_vote = withdraw = _missing
register = create = end = _missing
