"""Settings, read from the environment with safe defaults.

Nothing is read at import time: :func:`load_settings` is called by the app
factory and the command line. A bad value raises :class:`ConfigError` whose
message is one line naming the setting.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from slaengine.errors import ConfigError


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 5000
    smtp_host: str | None = None
    smtp_port: int = 25
    mail_from: str = "support@localhost"
    sweep_interval_seconds: float = 5.0
    sweep_batch_size: int = 500
    outbox_interval_seconds: float = 5.0


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
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
    return Settings(
        instance_path=instance_path.resolve(),
        database_url=_database_url(env, instance_path.resolve()),
        secret_key=_secret_key(env, instance_path),
        host=env.get("HOST") or "127.0.0.1",
        port=_integer(env, "PORT", 5000, 1, 65535),
        smtp_host=env.get("SMTP_HOST") or None,
        smtp_port=_integer(env, "SMTP_PORT", 25, 1, 65535),
        mail_from=env.get("MAIL_FROM") or "support@localhost",
        sweep_interval_seconds=_seconds(env, "SWEEP_INTERVAL_SECONDS", 5.0),
        sweep_batch_size=_integer(env, "SWEEP_BATCH_SIZE", 500, 1, 100_000),
        outbox_interval_seconds=_seconds(env, "OUTBOX_INTERVAL_SECONDS", 5.0),
    )
