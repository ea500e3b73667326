"""How the workspace writes times, durations, SLA badges and events in words.

Presentation only: instants arrive in UTC and are shown in a named zone;
durations are written the way agents say them ("1h 05m").
"""

from __future__ import annotations

from datetime import datetime

import nh3
from flask import Flask
from markupsafe import Markup

from slaengine.models import TicketEvent
from slaengine.queues import COUNT_CAP, SlaBadge
from slaengine.workspace import Zone

ALLOWED_TAGS = nh3.ALLOWED_TAGS - {"img"}
METRIC_NAMES = {
    "acknowledge": "acknowledge",
    "expert_engaged": "expert engaged",
    "workaround": "workaround",
    "resolution": "resolution",
    "update": "update",
    "tier2_response": "tier 2 response",
    "tier3_response": "tier 3 response",
    "executive_response": "executive response",
}
STATUS_NAMES = {"on_hold": "on hold"}


def metric_name(metric: str | None) -> str:
    return METRIC_NAMES.get(metric or "", (metric or "").replace("_", " "))


def status_name(status: str) -> str:
    return STATUS_NAMES.get(status, status)


def duration(seconds: float) -> str:
    """``45s``, ``12m``, ``1h 05m``, ``2d 3h``: the countdown's words."""
    seconds = abs(int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def business_minutes(minutes: float | None) -> str:
    """Business time in hours and minutes: never days, whose length varies."""
    if minutes is None:
        return "—"
    hours, rest = divmod(round(minutes), 60)
    if not hours:
        return f"{rest}m"
    return f"{hours}h {rest:02d}m" if rest else f"{hours}h"


def badge_text(badge: SlaBadge, now: datetime) -> str:
    name = metric_name(badge.metric)
    if badge.state == "breached" and badge.due_at is not None:
        return f"{name} breached {duration((now - badge.due_at).total_seconds())} ago"
    if badge.state in ("running", "warning") and badge.due_at is not None:
        return f"{name} in {duration((badge.due_at - now).total_seconds())}"
    if badge.state == "paused":
        return f"{name} paused"
    if badge.state == "met":
        return "all met"
    return "no SLA"


def local_time(at: datetime | None, zone: Zone | None) -> str:
    if at is None or zone is None:
        return "—"
    local = zone.local(at)
    return f"{local:%a %d %b %H:%M} {local.tzname()}"


def capped(count: int) -> str:
    """A navigation count: ``1,000+`` once it reaches the cap."""
    return f"{COUNT_CAP:,}+" if count >= COUNT_CAP else f"{count:,}"


def iso(at: datetime | None) -> str:
    return at.isoformat() if at is not None else ""


def safe_html(html: str) -> Markup:
    """Customer HTML reduced to an allow-list of harmless tags and links."""
    return Markup(
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
    )


def describe_event(event: TicketEvent) -> str:
    """One line of the timeline, in words."""
    data = event.data or {}
    kind = event.kind
    if kind == "created":
        return (
            f"Opened ({data.get('route') or 'routed'}) via {data.get('channel', 'web')}"
        )
    if kind == "reply":
        return (
            "Replied to the customer"
            if event.actor_type == "agent"
            else "Customer wrote"
        )
    if kind == "note":
        return "Added an internal note"
    if kind == "status":
        return f"Status {status_name(event.before)} → {status_name(event.after)}"
    if kind == "priority":
        return f"Priority {event.before} → {event.after}"
    if kind == "assignee":
        return f"Assigned to {data['assignee_name']}" if event.after else "Unassigned"
    if kind == "escalated":
        reason = data.get("reason") or "no reason given"
        return f"Escalated to tier {event.after}: {reason}"
    if kind == "tier":
        return f"Moved to tier {event.after}"
    if kind == "workaround":
        return "Workaround provided" + (f": {data['note']}" if data.get("note") else "")
    if kind == "handoff":
        return f"Handed off {event.before} → {event.after}: {data.get('note', '')}"
    if kind == "tags":
        return f"Tags: {', '.join(event.after or []) or 'none'}"
    if kind in ("sla.warning", "sla.breached"):
        word = "warning" if kind == "sla.warning" else "breached"
        late = " (noticed late)" if data.get("late") else ""
        return f"SLA {word}: {metric_name(data.get('metric'))}{late}"
    before_after = f"{event.before} → {event.after}" if event.field else ""
    return f"{kind.replace('_', ' ').capitalize()} {before_after}".strip()


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        duration=duration,
        business_minutes=business_minutes,
        local_time=local_time,
        iso=iso,
        capped=capped,
        safe_html=safe_html,
        describe_event=describe_event,
        metric_name=metric_name,
        status_name=status_name,
    )
    app.jinja_env.globals["badge_text"] = badge_text
