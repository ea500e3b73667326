"""Polling IMAP mailboxes for inbound mail (the scheduler's ``mail-imap`` job).

Each unseen message is fetched with ``BODY.PEEK[]`` (which leaves it unseen),
stored through :func:`slaengine.mail.intake.receive`, and only then marked
``\\Seen`` or moved to the processed folder. A crash in between leaves it
unseen on the server: the next poll fetches it again and intake recognises
the duplicate, so nothing is lost and nothing is stored twice.
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
from datetime import datetime

from slaengine.config import ImapSettings, Settings
from slaengine.db import Database
from slaengine.mail.intake import StorageFailed, receive

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 60
MAX_PER_FOLDER = 200


def connect(imap: ImapSettings) -> imaplib.IMAP4:
    """Open an authenticated connection over TLS (implicit or STARTTLS)."""
    context = ssl.create_default_context(cafile=imap.ca_file)
    client: imaplib.IMAP4
    if imap.starttls:
        client = imaplib.IMAP4(imap.host, imap.port, timeout=TIMEOUT_SECONDS)
        client.starttls(ssl_context=context)
    else:
        client = imaplib.IMAP4_SSL(
            imap.host, imap.port, ssl_context=context, timeout=TIMEOUT_SECONDS
        )
    client.login(imap.username, imap.password)
    # Servers announce MOVE and UIDPLUS only once logged in.
    _, data = client.capability()
    client.capabilities = tuple(data[0].decode("ascii", "replace").upper().split())
    return client


def poll_imap(database: Database, settings: Settings, *, now: datetime) -> int:
    """Fetch, store and mark every unseen message; returns how many were stored.

    Stops at the first message the database cannot take, leaving it and the
    rest unseen for the next poll.
    """
    imap = settings.mail.imap
    if imap is None:
        return 0
    client = connect(imap)
    stored = 0
    try:
        for folder in imap.folders:
            stored += _poll_folder(client, folder, database, settings, now)
    finally:
        _logout(client)
    return stored


def _poll_folder(
    client: imaplib.IMAP4,
    folder: str,
    database: Database,
    settings: Settings,
    now: datetime,
) -> int:
    status, _ = client.select(_quote(folder))
    if status != "OK":
        raise imaplib.IMAP4.error(f"cannot open IMAP folder {folder!r}")
    _, found = client.uid("SEARCH", "UNSEEN")
    uids = (found[0] or b"").split()[:MAX_PER_FOLDER]
    stored = 0
    for uid in uids:
        raw = _fetch(client, uid)
        if raw is None:
            continue
        try:
            result = receive(database, raw, source="imap", settings=settings, now=now)
        except StorageFailed:
            logger.warning(
                "event=mail.imap_deferred folder=%s uid=%s", folder, uid.decode()
            )
            break
        _mark_done(client, uid, settings.mail.imap)
        stored += 0 if result.is_duplicate else 1
    client.close()
    return stored


def _fetch(client: imaplib.IMAP4, uid: bytes) -> bytes | None:
    status, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    return None


def _mark_done(client: imaplib.IMAP4, uid: bytes, imap: ImapSettings) -> None:
    if imap.processed_folder is None:
        client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")
        return
    target = _quote(imap.processed_folder)
    if "MOVE" in client.capabilities:
        client.uid("MOVE", uid, target)
        return
    client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")
    status, _ = client.uid("COPY", uid, target)
    if status == "OK":
        client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
        if "UIDPLUS" in client.capabilities:
            client.uid("EXPUNGE", uid)


def _quote(folder: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9._/-]+", folder):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _logout(client: imaplib.IMAP4) -> None:
    try:
        client.logout()
    except (OSError, imaplib.IMAP4.error):
        logger.debug("event=mail.imap_logout_failed")
