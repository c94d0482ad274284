"""gunicorn's access log without personal links.

A consultation's or an exit interview's personal link is a secret: whoever has it may answer
in the contact's name. The request line, the path, the query and the referrer of each logged
request (the page after an answer page names it as referrer) show any token-like part
(40 or more URL-safe characters with a capital or an underscore: our links and keys like
them, but not a slug, which is lower case) as "[redacted]".
`gunicorn.conf.py` makes every gunicorn started from the project's folder use it.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

TOKEN = re.compile(r"(?=[a-z0-9-]*[A-Z_])[A-Za-z0-9_-]{40,}")
REDACTED = "[redacted]"
URL_ATOMS = ("r", "U", "q", "f", "{referer}i")


def redact(text: str) -> str:
    return TOKEN.sub(REDACTED, text)


class Logger(GunicornLogger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        for name in URL_ATOMS:
            value = atoms.get(name)
            if isinstance(value, str):
                atoms[name] = redact(value)
        return atoms
