"""Where a ticket goes: which center, which tier, and why."""

from slaengine.routing.choose import Route, choose_center, route_ticket

__all__ = ["Route", "choose_center", "route_ticket"]
