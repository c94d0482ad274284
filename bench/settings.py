"""Production settings, plus two things only the load benchmark needs: a bare view to compare
pages against, and each response's query count in a header."""

from icsvoice.settings import *  # noqa: F403
from icsvoice.settings import MIDDLEWARE

ROOT_URLCONF = "bench.urls"
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
