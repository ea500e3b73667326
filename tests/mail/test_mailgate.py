"""``slaengine mailgate`` as an MTA runs it: a process, stdin, sysexits."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import func, select

from slaengine.models import InboundMessage
from tests.mail.conftest import stored
from tests.mail.test_intake import compose


def _mailgate(raw: bytes, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "slaengine.cli", "mailgate"],
        input=raw,
        capture_output=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


def test_exit_0_once_stored(mail_env, database):
    raw = compose()

    done = _mailgate(raw, mail_env)

    assert done.returncode == 0, done.stderr.decode()
    assert stored(database, raw).status == "processed"


def test_exit_0_for_a_message_set_aside(mail_env, database):
    raw = compose(extra="Auto-Submitted: auto-replied")

    done = _mailgate(raw, mail_env)

    assert done.returncode == 0
    assert stored(database, raw).status == "set_aside"
    assert b"set aside" in done.stderr


def test_exit_75_when_the_database_is_unreachable(mail_env, database):
    env = {**mail_env, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}

    done = _mailgate(compose(), env)

    assert done.returncode == 75
    assert b"try again later" in done.stderr
    with database.session() as session:
        assert session.scalar(select(func.count(InboundMessage.id))) == 0


def test_exit_75_when_the_database_has_no_schema(mail_env, tmp_path):
    env = {**mail_env, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}

    assert _mailgate(compose(), env).returncode == 75


def test_exit_75_for_a_bad_setting(mail_env):
    env = {**mail_env, "MAIL_DEFAULT_PRIORITY": "urgent"}

    done = _mailgate(compose(), env)

    assert done.returncode == 75
    assert b"MAIL_DEFAULT_PRIORITY" in done.stderr


def test_exit_65_for_empty_input_and_nothing_stored(mail_env, database):
    assert _mailgate(b"", mail_env).returncode == 65
    with database.session() as session:
        assert session.scalar(select(func.count(InboundMessage.id))) == 0


def test_in_process_mailgate_stores_a_message_once(mailgate, database):
    raw = compose()

    assert mailgate(raw) == 0
    assert mailgate(raw) == 0

    with database.session() as session:
        assert session.scalar(select(func.count(InboundMessage.id))) == 1
