"""`herald up`'s mail catcher: an SMTP server on 127.0.0.1 that delivers nothing and shows
every mail it is given (recipient, subject and plain text, links included) on the terminal."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from app.embedded import INSTALL_HINT, EmbeddedUnavailable, free_port


def describe(message: EmailMessage) -> str:
    """A mail as a few lines of a terminal: who, what, and its plain text indented."""
    part = message.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else "(no plain text part)"
    body = "\n".join(f"  | {line}" if line else "  |" for line in text.rstrip().splitlines())
    return f"\nMail to {message['To']}: {message['Subject']}\n{body}\n"


class MailCatcher:
    """Accepts any mail for anyone; `show` gets each one as text, on the server's thread."""

    def __init__(self, show: Callable[[str], None]) -> None:
        try:
            from aiosmtpd.controller import Controller
        except ImportError as error:
            message = f"the mail catcher (aiosmtpd) is not installed; {INSTALL_HINT}"
            raise EmbeddedUnavailable(message) from error
        self.port = free_port()
        self._show = show
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)  # what policy.default builds
        self._show(describe(message))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
