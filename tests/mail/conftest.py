"""Fixtures for email intake and delivery: settings, the mailgate, servers.

Everything runs against real servers on localhost: the committing database,
an aiosmtpd SMTP server in the test process, the LMTP listener and, for
IMAP, Debian's Dovecot started with a throw-away configuration.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlalchemy import select

from slaengine.cli import main
from slaengine.config import Settings, load_settings
from slaengine.models import InboundMessage

SUPPORT = "support@help.example"
URGENT = "urgent@help.example"


@pytest.fixture
def mail_env(database, tmp_path, monkeypatch) -> dict[str, str]:
    """The environment of an engine whose mailboxes are at help.example."""
    env = {
        "DATABASE_URL": database.url,
        "SLAENGINE_INSTANCE": str(tmp_path / "instance"),
        "MAIL_FROM": SUPPORT,
        "MAIL_MAILBOXES": f"{SUPPORT}, {URGENT}=high",
        "MAIL_RATE_LIMIT_PER_HOUR": "5",
    }
    for name in ("SMTP_HOST", "IMAP_HOST", "MAIL_DOMAIN", "SMTP_SECURITY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def mail_settings(mail_env) -> Settings:
    return load_settings()


@pytest.fixture
def mailgate(mail_env) -> Callable[[bytes], int]:
    """Run ``slaengine mailgate`` with ``raw`` on standard input; its exit code."""
    runner = CliRunner()

    def run(raw: bytes) -> int:
        result = runner.invoke(main, ["mailgate"], input=raw)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code

    return run


def stored(database, raw: bytes) -> InboundMessage | None:
    """The inbound row holding exactly these bytes."""
    import hashlib

    with database.session() as session:
        return session.scalar(
            select(InboundMessage).where(
                InboundMessage.sha256 == hashlib.sha256(raw).hexdigest()
            )
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    """What the test SMTP server accepted."""

    envelopes: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [
                message_from_bytes(raw, policy=policy.default)
                for _, _, raw in self.envelopes
            ]


class _Collect:
    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.received.lock:
            self.received.envelopes.append(
                (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 OK"


class SmtpServer:
    """aiosmtpd on a fixed localhost port that can be stopped and restarted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received = Received()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(
            _Collect(self.received), hostname="127.0.0.1", port=self.port
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(monkeypatch) -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(server.port))
    yield server
    server.stop()


def require_tool(name: str, install: str) -> None:
    """Skip without ``name``, except in CI where a missing tool must fail."""
    import shutil

    if shutil.which(name) is None and not os.path.exists(name):
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {name}: {install}")
        pytest.skip(f"needs {name} ({install})")


@dataclass(frozen=True)
class Certificate:
    cert: str
    key: str


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost (openssl CLI)."""
    import subprocess

    require_tool("openssl", "apt-get install openssl")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return Certificate(str(cert), str(key))
