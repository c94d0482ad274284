from django.http import Http404


def group_list(request):
    raise Http404


group_detail = group_list
