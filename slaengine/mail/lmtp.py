"""The LMTP listener: an MTA hands inbound mail over a socket.

LMTP answers once per recipient after the data. The message is stored once
(whatever the number of recipients) and every recipient gets the same
answer: ``250`` once it is safely stored, ``451`` (try again later) when it
could not be, so the MTA keeps it queued.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP

from slaengine.config import Settings
from slaengine.db import Database
from slaengine.mail.intake import StorageFailed, receive

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 50 * 1024 * 1024


class IntakeHandler:
    """aiosmtpd handler that passes each message to intake."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(
                None,
                partial(
                    receive, self.database, raw, source="lmtp", settings=self.settings
                ),
            )
        except StorageFailed as exc:
            logger.warning("event=mail.lmtp_deferred error=%s", exc)
            answer = "451 4.3.0 could not store the message, try again later"
        else:
            answer = f"250 2.0.0 stored as inbound message {result.inbound_id}"
        return "\r\n".join([answer] * max(1, len(envelope.rcpt_tos)))


class LmtpController(Controller):
    """aiosmtpd's threaded controller, speaking LMTP."""

    def factory(self) -> LMTP:
        return LMTP(
            self.handler,
            data_size_limit=MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,
            ident="slaengine LMTP",
        )


def build_listener(
    database: Database,
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
) -> LmtpController:
    """An LMTP listener (not yet started) on ``host:port`` or the settings'."""
    return LmtpController(
        IntakeHandler(database, settings),
        hostname=host or settings.mail.lmtp_host,
        port=port if port is not None else settings.mail.lmtp_port,
    )
