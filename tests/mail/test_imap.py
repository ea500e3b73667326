"""The IMAP poller against Debian's Dovecot, started with a throw-away setup.

The fixture writes a Dovecot configuration into a temporary folder (TLS with
a self-signed certificate, one user, maildir storage), runs ``dovecot -F``
on a free localhost port and stops it afterwards. Mail is put in the
mailbox with IMAP APPEND, as a delivery agent would.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from slaengine.config import load_settings
from slaengine.mail import imap as imap_module
from slaengine.mail.imap import poll_imap
from slaengine.models import InboundMessage, Ticket
from tests.mail.conftest import free_port, require_tool
from tests.mail.test_intake import NOW, compose

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "support", "imap-secret"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
auth_mechanisms = plain login
first_valid_uid = 1
{users}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
"""


def _config(root: Path, cert: str, key: str, port: int) -> str:
    if os.geteuid() == 0:
        # Dovecot will not hand mail to root; Debian's package has its own user.
        owner = pwd.getpwnam("dovecot")
        users = ""
    else:
        owner = pwd.getpwuid(os.geteuid())
        users = (
            f"default_internal_user = {owner.pw_name}\n"
            f"default_login_user = {owner.pw_name}"
        )
    (root / "mail").mkdir()
    if os.geteuid() == 0:
        os.chown(root / "mail", owner.pw_uid, owner.pw_gid)
    return CONFIG.format(
        root=root,
        cert=cert,
        key=key,
        port=port,
        users=users,
        uid=owner.pw_uid,
        gid=owner.pw_gid,
    )


@pytest.fixture
def dovecot(tls_certificate):
    require_tool(DOVECOT, "apt-get install dovecot-imapd")
    root = Path(tempfile.mkdtemp(prefix="slaengine-dovecot-"))
    root.chmod(0o755)
    port = free_port()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    (root / "dovecot.conf").write_text(
        _config(root, tls_certificate.cert, tls_certificate.key, port)
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _wait_for(port, process, root)
    yield port
    process.terminate()
    process.wait(timeout=10)
    process.stderr.close()
    shutil.rmtree(root, ignore_errors=True)


def _wait_for(port: int, process: subprocess.Popen, root: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (
                (root / "dovecot.log").read_text()
                if (root / "dovecot.log").exists()
                else ""
            )
            raise AssertionError(
                f"dovecot stopped: {process.stderr.read().decode()} {log}"
            )
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("dovecot did not start")


@pytest.fixture
def imap_settings(mail_env, dovecot, tls_certificate, monkeypatch):
    for name, value in {
        "IMAP_HOST": "127.0.0.1",
        "IMAP_PORT": str(dovecot),
        "IMAP_USERNAME": USER,
        "IMAP_PASSWORD": PASSWORD,
        "IMAP_CA_FILE": tls_certificate.cert,
    }.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def _mailbox(port: int, cert: str) -> imaplib.IMAP4_SSL:
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", port, ssl_context=ssl.create_default_context(cafile=cert)
    )
    client.login(USER, PASSWORD)
    return client


def _append(port: int, cert: str, *messages: bytes) -> None:
    client = _mailbox(port, cert)
    for raw in messages:
        client.append("INBOX", None, None, raw)
    client.logout()


def _unseen(port: int, cert: str, folder: str = "INBOX") -> int:
    client = _mailbox(port, cert)
    client.select(folder)
    _, found = client.uid("SEARCH", "UNSEEN")
    _, every = client.uid("SEARCH", "ALL")
    client.logout()
    return len(found[0].split()), len(every[0].split())


def _inbound_count(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count(InboundMessage.id)))


def test_poll_stores_unseen_mail_and_marks_it_seen(
    imap_settings, database, dovecot, tls_certificate
):
    _append(
        dovecot,
        tls_certificate.cert,
        compose(),
        compose(message_id="b1@mua.example", sender="kim@partner.example"),
    )

    assert poll_imap(database, imap_settings, now=NOW) == 2
    assert poll_imap(database, imap_settings, now=NOW) == 0

    assert _unseen(dovecot, tls_certificate.cert) == (0, 2)
    with database.session() as session:
        assert session.scalar(select(func.count(Ticket.id))) == 2


def test_poll_can_move_mail_to_a_processed_folder(
    imap_settings, database, dovecot, tls_certificate, monkeypatch
):
    client = _mailbox(dovecot, tls_certificate.cert)
    client.create("Processed")
    client.logout()
    monkeypatch.setenv("IMAP_PROCESSED_FOLDER", "Processed")
    _append(dovecot, tls_certificate.cert, compose())

    assert poll_imap(database, load_settings(), now=NOW) == 1

    assert _unseen(dovecot, tls_certificate.cert) == (0, 0)
    assert _unseen(dovecot, tls_certificate.cert, "Processed")[1] == 1


def test_a_crash_between_storing_and_marking_loses_and_duplicates_nothing(
    imap_settings, database, dovecot, tls_certificate, monkeypatch
):
    _append(dovecot, tls_certificate.cert, compose())
    mark_done = imap_module._mark_done

    def crash(*_args):
        raise ConnectionResetError("killed after storing, before marking")

    monkeypatch.setattr(imap_module, "_mark_done", crash)
    with pytest.raises(ConnectionResetError):
        poll_imap(database, imap_settings, now=NOW)
    assert _unseen(dovecot, tls_certificate.cert) == (1, 1)
    monkeypatch.setattr(imap_module, "_mark_done", mark_done)

    assert poll_imap(database, imap_settings, now=NOW) == 0  # a duplicate, now marked

    assert _unseen(dovecot, tls_certificate.cert) == (0, 1)
    assert _inbound_count(database) == 1


def test_mail_stays_unseen_while_the_database_is_down(
    imap_settings, dovecot, tls_certificate
):
    from slaengine.db import Database

    _append(dovecot, tls_certificate.cert, compose())

    assert (
        poll_imap(
            Database("postgresql://nobody@127.0.0.1:1/none"), imap_settings, now=NOW
        )
        == 0
    )

    assert _unseen(dovecot, tls_certificate.cert) == (1, 1)
