"""Reading the workspace's query strings and form fields into core inputs."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from slaengine.errors import InvalidInput
from slaengine.models import User
from slaengine.queues import QueueFilters
from slaengine.staff import get_staff

FILTER_KEYS = ("status", "priority", "center", "tier", "account_tier", "language")


def _values(args: MultiDict, key: str) -> tuple[str, ...]:
    return tuple(value for value in args.getlist(key) if value)


def _integer(raw: str, field: str) -> int:
    if not raw.strip().isdigit():
        raise InvalidInput(f"{field}: must be a whole number, got {raw!r}", field=field)
    return int(raw)


def queue_filters(args: MultiDict) -> QueueFilters:
    """The filters of a queue URL; empty fields mean "any".

    :raises InvalidInput: naming the first bad parameter.
    """
    return QueueFilters(
        status=_values(args, "status"),
        priority=_values(args, "priority"),
        center=_values(args, "center"),
        tier=tuple(_integer(v, "tier") for v in _values(args, "tier")),
        account_tier=_values(args, "account_tier"),
        language=_values(args, "language"),
        assignee=args.get("assignee") or None,
        tag=args.get("tag") or None,
        text=args.get("q", ""),
        sort=args.get("sort") or "deadline",
        page=_integer(args.get("page") or "1", "page"),
    )


def filter_query(args: MultiDict, **changes: object) -> str:
    """The query string of the current filters with ``changes`` applied."""
    pairs = [
        (k, v) for k, v in args.items(multi=True) if k not in changes and k != "partial"
    ]
    pairs += [(k, str(v)) for k, v in changes.items() if v not in (None, "")]
    return urlencode(pairs)


def expected_version(form: Mapping[str, str]) -> int:
    """The ticket version the form was rendered at (its edit guard)."""
    return _integer(form.get("version", ""), "version")


def assignee(session: Session, raw: str) -> User | None:
    """The staff member a form names by id; ``""`` or ``"none"`` for nobody."""
    if raw in ("", "none"):
        return None
    return get_staff(session, _integer(raw, "assignee"))


def ticket_ids(form: MultiDict) -> list[int]:
    return [_integer(value, "tickets") for value in form.getlist("ticket")]
