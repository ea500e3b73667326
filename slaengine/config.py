"""Settings, read from the environment with safe defaults.

Nothing is read at import time: :func:`load_settings` is called by the app
factory and the command line. A bad value raises :class:`ConfigError` whose
message is one line naming the setting.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from slaengine.errors import ConfigError

SMTP_SECURITY = ("none", "starttls", "ssl")
PRIORITY_NAMES = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class ImapSettings:
    """One IMAP account polled for inbound mail (always over TLS)."""

    host: str
    username: str
    password: str
    port: int = 993
    folders: tuple[str, ...] = ("INBOX",)
    starttls: bool = False
    ca_file: str | None = None
    processed_folder: str | None = None
    interval_seconds: float = 30.0


@dataclass(frozen=True)
class MailSettings:
    """Inbound mail: the support addresses, IMAP, LMTP and intake limits.

    ``mailboxes`` maps each support address (lower case) to the priority of
    tickets it opens; mail to none of them gets ``default_priority``.
    """

    mailboxes: dict[str, str] = field(default_factory=dict)
    default_priority: str = "medium"
    rate_limit_per_hour: int = 30
    imap: ImapSettings | None = None
    lmtp_host: str = "127.0.0.1"
    lmtp_port: int = 8024


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 5000
    public_url: str = "http://127.0.0.1:5000"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_security: str = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from: str = "support@localhost"
    mail_domain: str = "localhost"
    mail: MailSettings = field(default_factory=MailSettings)
    sweep_interval_seconds: float = 5.0
    sweep_batch_size: int = 2000
    sweep_workers: int = 2
    outbox_interval_seconds: float = 5.0


def _integer(
    env: Mapping[str, str], name: str, default: int, low: int, high: int
) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _public_url(env: Mapping[str, str], host: str, port: int) -> str:
    """Where customers and staff reach the web app: links in mail sent
    outside a web request start with it. Defaults to what ``slaengine run``
    serves."""
    raw = env.get("PUBLIC_URL")
    if not raw:
        return f"http://{host}:{port}"
    parts = urlsplit(raw)
    try:
        parts.port  # noqa: B018 (raises for a port that is not a number)
    except ValueError:
        raise ConfigError(f"PUBLIC_URL has a bad port, got {raw!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"PUBLIC_URL must be an http:// or https:// URL, got {raw!r}")
    if parts.query or parts.fragment:
        raise ConfigError(f"PUBLIC_URL must not have a query or fragment, got {raw!r}")
    return raw.rstrip("/")


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not 0.1 <= value <= 3600:
        raise ConfigError(f"{name} must be between 0.1 and 3600 seconds, got {raw}")
    return value


def _database_url(env: Mapping[str, str], instance_path: Path) -> str:
    raw = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'slaengine.db'}"
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(f"DATABASE_URL is not a database URL: {raw!r}") from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"DATABASE_URL must be sqlite:// or postgresql://, got {url.drivername!r}"
        )
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def _choice(
    env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]
) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _address(value: str, name: str) -> str:
    address = value.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or " " in address:
        raise ConfigError(f"{name}: {value.strip()!r} is not an email address")
    return address


def _mailboxes(env: Mapping[str, str], default_priority: str) -> dict[str, str]:
    """``MAIL_MAILBOXES="support@x.com, urgent@x.com=high"``."""
    mailboxes: dict[str, str] = {}
    for item in (env.get("MAIL_MAILBOXES") or "").split(","):
        if not item.strip():
            continue
        address, _, priority = item.partition("=")
        priority = priority.strip().lower() or default_priority
        if priority not in PRIORITY_NAMES:
            raise ConfigError(
                f"MAIL_MAILBOXES: unknown priority {priority!r} for {address.strip()!r}"
            )
        mailboxes[_address(address, "MAIL_MAILBOXES")] = priority
    return mailboxes


def _imap(env: Mapping[str, str]) -> ImapSettings | None:
    host = env.get("IMAP_HOST")
    if not host:
        return None
    if not env.get("IMAP_USERNAME") or not env.get("IMAP_PASSWORD"):
        raise ConfigError("IMAP_HOST needs IMAP_USERNAME and IMAP_PASSWORD")
    security = _choice(env, "IMAP_SECURITY", "ssl", ("ssl", "starttls"))
    names = (env.get("IMAP_FOLDERS") or "INBOX").split(",")
    folders = tuple(name.strip() for name in names if name.strip())
    return ImapSettings(
        host=host,
        username=env["IMAP_USERNAME"],
        password=env["IMAP_PASSWORD"],
        port=_integer(env, "IMAP_PORT", 993 if security == "ssl" else 143, 1, 65535),
        folders=folders or ("INBOX",),
        starttls=security == "starttls",
        ca_file=env.get("IMAP_CA_FILE") or None,
        processed_folder=env.get("IMAP_PROCESSED_FOLDER") or None,
        interval_seconds=_seconds(env, "IMAP_INTERVAL_SECONDS", 30.0),
    )


def _mail(env: Mapping[str, str]) -> MailSettings:
    default_priority = _choice(env, "MAIL_DEFAULT_PRIORITY", "medium", PRIORITY_NAMES)
    return MailSettings(
        mailboxes=_mailboxes(env, default_priority),
        default_priority=default_priority,
        rate_limit_per_hour=_integer(env, "MAIL_RATE_LIMIT_PER_HOUR", 30, 1, 100_000),
        imap=_imap(env),
        lmtp_host=env.get("LMTP_HOST") or "127.0.0.1",
        lmtp_port=_integer(env, "LMTP_PORT", 8024, 1, 65535),
    )


def _secret_key(env: Mapping[str, str], instance_path: Path) -> str:
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    return key


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``env`` (default: the process environment).

    Creates the instance folder and, on first run, a persistent secret key
    in it.

    :raises ConfigError: naming the first bad setting.
    """
    env = os.environ if env is None else env
    instance_path = Path(env.get("SLAENGINE_INSTANCE") or Path.cwd() / "instance")
    try:
        instance_path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"SLAENGINE_INSTANCE {str(instance_path)!r}: {exc}") from None
    host = env.get("HOST") or "127.0.0.1"
    port = _integer(env, "PORT", 5000, 1, 65535)
    return Settings(
        instance_path=instance_path.resolve(),
        database_url=_database_url(env, instance_path.resolve()),
        secret_key=_secret_key(env, instance_path),
        host=host,
        port=port,
        public_url=_public_url(env, host, port),
        smtp_host=env.get("SMTP_HOST") or None,
        smtp_port=_integer(env, "SMTP_PORT", 25, 1, 65535),
        smtp_security=_choice(env, "SMTP_SECURITY", "none", SMTP_SECURITY),
        smtp_username=env.get("SMTP_USERNAME") or None,
        smtp_password=env.get("SMTP_PASSWORD") or None,
        mail_from=env.get("MAIL_FROM") or "support@localhost",
        mail_domain=(
            env.get("MAIL_DOMAIN")
            or (env.get("MAIL_FROM") or "support@localhost").rpartition("@")[2]
            or "localhost"
        ),
        mail=_mail(env),
        sweep_interval_seconds=_seconds(env, "SWEEP_INTERVAL_SECONDS", 5.0),
        sweep_batch_size=_integer(env, "SWEEP_BATCH_SIZE", 2000, 1, 100_000),
        sweep_workers=_integer(env, "SWEEP_WORKERS", 2, 1, 16),
        outbox_interval_seconds=_seconds(env, "OUTBOX_INTERVAL_SECONDS", 5.0),
    )
