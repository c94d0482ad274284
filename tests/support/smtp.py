"""A real SMTP server on loopback (aiosmtpd) for the email tests.

It records every message it accepts, with its Message-ID. `refuse` maps a recipient address
to an SMTP reply ("550 No such mailbox" is permanent, "451 Try later" transient), so tests
can make the server refuse exactly what they need.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Sink:
    raw: list[bytes] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds each message takes to accept, to make a batch last
    lock: threading.Lock = field(default_factory=threading.Lock)

    refuse_sender: str = ""  # an SMTP reply to every MAIL FROM, e.g. "553 Relay denied"

    async def handle_MAIL(  # aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: Any
    ) -> str:
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:  # kept raw: parsing waits until a test reads it
            self.raw.append(bytes(envelope.content))
        return "250 Message accepted for delivery"

    # A method, not a property: aiosmtpd inspects the handler's members on every connection,
    # which would parse every message each time.
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            raw = list(self.raw)
        parsed = [email.message_from_bytes(data, policy=email.policy.default) for data in raw]
        return [message for message in parsed if isinstance(message, EmailMessage)]

    def count(self) -> int:
        with self.lock:
            return len(self.raw)

    def message_ids(self) -> list[str]:
        """Each accepted email's Message-ID header, read without parsing the whole email."""
        with self.lock:
            raw = list(self.raw)
        found = (MESSAGE_ID.search(data.split(b"\r\n\r\n", 1)[0]) for data in raw)
        return [match.group(1).decode() if match else "" for match in found]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if address in str(m["To"])]


MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


# aiosmtpd logs every SMTP line at INFO; a failing test's output should show ours instead.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = free_port()
    # A fixed server name: aiosmtpd otherwise looks up its own (socket.getfqdn) per connection.
    controller = Controller(sink, hostname="127.0.0.1", port=port, server_hostname="sink.localhost")
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()
