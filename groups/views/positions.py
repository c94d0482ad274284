from django.http import Http404


def _missing(request, *args, **kwargs):
    raise Http404("Not built yet.")


create = detail = edit = version = compare = coauthors = withdraw = comment = amend = _missing
amendment_accept = amendment_decline = evidence_upload = evidence_download = declare = _missing
open_on_position = cast = close = _missing
