"""The customer portal: the public request form and private ticket pages."""

from __future__ import annotations

from flask import Blueprint, Flask

blueprint = Blueprint(
    "portal",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/portal/static",
)

DEFAULTS = {
    "PORTAL_LINK_LIFETIME_DAYS": 30,
    "PORTAL_MAX_ATTACHMENT_BYTES": 10 * 1024 * 1024,
    "PORTAL_MAX_ATTACHMENTS": 5,
    "PORTAL_RATE_LIMIT_ADDRESS": "30 per hour",
    "PORTAL_RATE_LIMIT_EMAIL": "10 per hour",
}


def init_app(app: Flask) -> None:
    """Register the portal and its protections on ``app``."""
    from web.portal import i18n, security, views  # noqa: F401 (registers the views)

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    security.init_app(app)
    i18n.init_app(app)
    app.register_blueprint(blueprint)
