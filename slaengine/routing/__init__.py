"""Where a ticket goes: which center, which tier, who works it, and why."""

from slaengine.routing.choose import Route, choose_center, next_center, route_ticket
from slaengine.routing.follow_the_sun import hand_off, hand_off_due, run_handoffs

__all__ = [
    "Route",
    "choose_center",
    "hand_off",
    "hand_off_due",
    "next_center",
    "route_ticket",
    "run_handoffs",
]
