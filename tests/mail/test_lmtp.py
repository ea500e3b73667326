"""The LMTP listener, spoken to by smtplib's LMTP client."""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from slaengine.db import Database
from slaengine.mail.lmtp import build_listener
from slaengine.models import InboundMessage, Ticket
from tests.mail.conftest import free_port, stored
from tests.mail.test_intake import compose


def _wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the LMTP listener did not start")


@pytest.fixture
def lmtp_command(mail_env):
    """``slaengine lmtp`` running as its own process."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "slaengine.cli", "lmtp", "--port", str(port)],
        env={**os.environ, **mail_env},
        stderr=subprocess.PIPE,
    )
    _wait_for(port, process)
    yield port
    process.terminate()
    process.wait(timeout=10)
    process.stderr.close()


def test_delivery_to_two_recipients_is_stored_once(lmtp_command, database):
    raw = compose(to="support@help.example, urgent@help.example")

    with smtplib.LMTP("127.0.0.1", lmtp_command) as client:
        refused = client.sendmail(
            "pat@customer.example", ["support@help.example", "urgent@help.example"], raw
        )
        second = client.getreply()  # LMTP answers once per recipient

    assert refused == {}
    assert second[0] == 250
    assert stored(database, raw).status == "processed"
    with database.session() as session:
        assert session.scalar(select(func.count(InboundMessage.id))) == 1
        assert session.scalar(select(Ticket.priority)) == "high"


def test_a_message_that_cannot_be_stored_is_refused_for_now(mail_settings):
    listener = build_listener(
        Database("postgresql://nobody@127.0.0.1:1/none"),
        mail_settings,
        host="127.0.0.1",
        port=free_port(),
    )
    listener.start()
    try:
        with (
            smtplib.LMTP("127.0.0.1", listener.port) as client,
            pytest.raises(smtplib.SMTPDataError) as refused,
        ):
            client.sendmail("pat@customer.example", ["support@help.example"], compose())
    finally:
        listener.stop()

    assert refused.value.smtp_code == 451
