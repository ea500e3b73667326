"""Views of the portal: parse the request, call one service, render."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytz
from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.exceptions import HTTPException, TooManyRequests

from slaengine import attachments, portal, satisfaction
from slaengine.clock import utcnow
from slaengine.commitments import acknowledgement_promise, current_commitment
from slaengine.errors import Conflict, InvalidInput, NotFound
from slaengine.portal import InvalidForm, LinkExpired, RequestForm
from web.database import session as db_session
from web.portal import blueprint, i18n, security
from web.portal.security import Refused, limiter

STATUS_LABELS = {
    "new": "Received",
    "open": "In progress",
    "pending": "Waiting for your reply",
    "on_hold": "On hold",
    "solved": "Solved",
    "closed": "Closed",
}
PRIORITY_LABELS = {
    "critical": "Critical",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
}


# -- helpers ---------------------------------------------------------------


def portal_settings() -> portal.PortalSettings:
    config = current_app.config
    return portal.PortalSettings(
        secret_key=config["SECRET_KEY"],
        attachment_folder=Path(current_app.instance_path) / "attachments",
        link_lifetime=timedelta(days=float(config["PORTAL_LINK_LIFETIME_DAYS"])),
        limits=attachments.Limits(
            max_file_bytes=config["PORTAL_MAX_ATTACHMENT_BYTES"],
            max_files=config["PORTAL_MAX_ATTACHMENTS"],
        ),
    )


def link_url(token: str) -> str:
    return url_for("portal.ticket_page", token=token, _external=True)


def survey_url(token: str) -> str:
    return url_for("portal.link_survey", token=token, _external=True)


def offer_survey(db, ticket) -> bool:
    """Mail the satisfaction survey if ``ticket`` was just solved (once per solve).

    Called by every web path that can solve a ticket (the agent workspace,
    the API) before it commits.
    """
    return satisfaction.queue_survey(
        db, ticket, settings=portal_settings(), survey_url=survey_url, now=utcnow()
    )


def uploads(field: str = "attachments") -> list[attachments.Upload]:
    return [
        attachments.Upload(item.filename or "", item.stream)
        for item in request.files.getlist(field)
        if item.filename
    ]


def message_of(exc: InvalidInput) -> str:
    """The message without its ``field:`` prefix, for display beside the field."""
    text = str(exc)
    prefix = f"{exc.field}: "
    text = text[len(prefix) :] if exc.field and text.startswith(prefix) else text
    return text[:1].upper() + text[1:]


def open_access(token: str, ticket_id: int | None = None) -> portal.PortalAccess:
    access = portal.open_ticket(
        db_session(),
        token,
        ticket_id,
        secret_key=current_app.config["SECRET_KEY"],
        now=utcnow(),
    )
    i18n.set_language(access.ticket.language)
    return access


@blueprint.app_template_filter("portal_time")
def portal_time(instant, zone: str | None = None) -> str:
    if instant is None:
        return ""
    try:
        tz = pytz.timezone(zone) if zone else pytz.UTC
    except pytz.UnknownTimeZoneError:
        tz = pytz.UTC
    local = instant.astimezone(tz)
    return f"{local:%d %b %Y, %H:%M} {local.tzname()}"


@blueprint.app_template_filter("portal_size")
def portal_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


@blueprint.context_processor
def portal_context() -> dict:
    return {
        **i18n.template_globals(),
        "csrf_token": security.csrf_token,
        "status_labels": STATUS_LABELS,
        "priority_labels": PRIORITY_LABELS,
        "impacts": portal.IMPACTS,
        "product_areas": portal.PRODUCT_AREAS,
        "max_file_mb": current_app.config["PORTAL_MAX_ATTACHMENT_BYTES"] // 2**20,
        "max_files": current_app.config["PORTAL_MAX_ATTACHMENTS"],
        "accepted_types": ", ".join(sorted(attachments.CONTENT_TYPES)),
    }


@blueprint.before_request
def protect_forms() -> None:
    if request.method == "POST":
        security.check_csrf()
        security.check_honeypot()


# -- errors ----------------------------------------------------------------


def render_error(code: int, title: str, message: str, **extra):
    return render_template(
        "portal/error.html", code=code, title=title, message=message, **extra
    ), code


@blueprint.errorhandler(Refused)
def refused(exc: Refused):
    return render_error(exc.code, exc.title, exc.description or "")


@blueprint.errorhandler(TooManyRequests)
def too_many(_exc: TooManyRequests):
    return render_error(
        429,
        "Please wait a little",
        "We have received many requests from you in a short time. "
        "Nothing was sent this time; please try again in an hour, or "
        "reply to the confirmation email you already have.",
    )


@blueprint.errorhandler(LinkExpired)
def link_expired(_exc: LinkExpired):
    return render_error(
        410,
        "This link has expired",
        "Private links work for a limited time. Enter your email address "
        "and we will send you a fresh link.",
        show_link_request=True,
    )


@blueprint.errorhandler(NotFound)
def not_found(_exc: NotFound):
    return render_error(
        404,
        "We could not find that page",
        "The link may be incomplete or no longer valid. You can ask for a "
        "new link with your email address.",
        show_link_request=True,
    )


@blueprint.errorhandler(Conflict)
def conflict(exc: Conflict):
    return render_error(
        409, "That cannot be done now", message_of(InvalidInput(str(exc)))
    )


@blueprint.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    if exc.code == 413:
        return render_error(
            413,
            "Your files are too large",
            "Attachments must stay under the size limit. Nothing was sent; "
            "please go back and attach smaller files.",
        )
    if exc.code == 404:
        return not_found(NotFound())
    return render_error(exc.code or 500, exc.name, exc.description or "")


# -- the public form -------------------------------------------------------


def read_form() -> RequestForm:
    values = {
        name: request.form.get(name, "") for name in RequestForm.__dataclass_fields__
    }
    return RequestForm(**values)


@blueprint.get("/")
def request_form():
    form = RequestForm(language=i18n.current_language())
    return render_template("portal/form.html", form=form, errors={})


@blueprint.post("/")
@limiter.limit(security.address_limit, methods=["POST"])
@limiter.limit(security.email_limit, key_func=security.email_key, methods=["POST"])
def submit_request():
    form = read_form()
    i18n.set_language(form.language)
    try:
        submission = portal.submit_request(
            db_session(),
            form,
            uploads(),
            settings=portal_settings(),
            link_url=link_url,
            now=utcnow(),
        )
    except InvalidForm as exc:
        return render_template("portal/form.html", form=form, errors=exc.errors), 422
    except InvalidInput as exc:
        errors = {exc.field or "description": message_of(exc)}
        return render_template("portal/form.html", form=form, errors=errors), 422
    db_session().commit()
    return redirect(url_for(".submitted", token=submission.token), code=303)


@blueprint.get("/t/<token>/submitted")
def submitted(token: str):
    access = open_access(token)
    return render_template(
        "portal/submitted.html",
        ticket=access.ticket,
        token=token,
        promise=acknowledgement_promise(access.ticket),
        email=access.customer.email,
    )


@blueprint.route("/link", methods=["GET", "POST"])
@limiter.limit(security.address_limit, methods=["POST"])
@limiter.limit(security.email_limit, key_func=security.email_key, methods=["POST"])
def request_link():
    if request.method == "GET":
        return render_template("portal/link.html", email="", errors={}, sent=False)
    email = request.form.get("email", "")
    try:
        portal.resend_links(
            db_session(),
            email,
            settings=portal_settings(),
            link_url=link_url,
            now=utcnow(),
        )
    except InvalidInput:
        errors = {"email": "Enter an email address like name@example.com."}
        return render_template(
            "portal/link.html", email=email, errors=errors, sent=False
        ), 422
    db_session().commit()
    return render_template("portal/link.html", email=email, errors={}, sent=True)


# -- the ticket page -------------------------------------------------------


def render_ticket(access: portal.PortalAccess, *, errors=None, typed=None, status=200):
    ticket = access.ticket
    others = [
        t
        for t in portal.visible_tickets(db_session(), access.customer)
        if t.id != ticket.id
    ]
    page = render_template(
        "portal/ticket.html",
        ticket=ticket,
        customer=access.customer,
        token=request.view_args["token"],
        messages=portal.public_messages(ticket),
        commitment=current_commitment(ticket),
        others=others,
        rating=satisfaction.rating_for(db_session(), ticket),
        zone=access.customer.timezone
        or (ticket.organization and ticket.organization.timezone),
        errors=errors or {},
        typed=typed or {},
    )
    return page, status


@blueprint.get("/t/<token>")
def ticket_page(token: str):
    return render_ticket(open_access(token))


@blueprint.get("/t/<token>/tickets/<int:ticket_id>")
def other_ticket(token: str, ticket_id: int):
    return render_ticket(open_access(token, ticket_id))


def ticket_url(token: str, ticket_id: int, link_ticket_id: int) -> str:
    if ticket_id == link_ticket_id:
        return url_for(".ticket_page", token=token)
    return url_for(".other_ticket", token=token, ticket_id=ticket_id)


@blueprint.post("/t/<token>/tickets/<int:ticket_id>/reply")
@limiter.limit(security.address_limit, methods=["POST"])
def reply(token: str, ticket_id: int):
    access = open_access(token, ticket_id)
    body = request.form.get("body", "")
    try:
        result = portal.reply(
            db_session(),
            access,
            body,
            uploads(),
            settings=portal_settings(),
            link_url=link_url,
            now=utcnow(),
        )
    except InvalidInput as exc:
        errors = {exc.field or "body": message_of(exc)}
        return render_ticket(access, errors=errors, typed={"body": body}, status=422)
    db_session().commit()
    if result.new_token:
        return redirect(url_for(".ticket_page", token=result.new_token), code=303)
    target = ticket_url(token, ticket_id, access.link.ticket_id)
    return redirect(f"{target}#message-{result.message.id}", code=303)


@blueprint.post("/t/<token>/tickets/<int:ticket_id>/escalation")
@limiter.limit(security.address_limit, methods=["POST"])
def request_escalation(token: str, ticket_id: int):
    access = open_access(token, ticket_id)
    reason = request.form.get("reason", "")
    try:
        portal.request_escalation(db_session(), access, reason, now=utcnow())
    except InvalidInput as exc:
        errors = {exc.field or "reason": message_of(exc)}
        return render_ticket(
            access, errors=errors, typed={"reason": reason}, status=422
        )
    db_session().commit()
    target = ticket_url(token, ticket_id, access.link.ticket_id)
    return redirect(f"{target}?escalation=requested#escalation", code=303)


@blueprint.route("/t/<token>/survey", methods=["GET", "POST"])
def link_survey(token: str):
    return survey(token, None)


@blueprint.route("/t/<token>/tickets/<int:ticket_id>/survey", methods=["GET", "POST"])
def survey(token: str, ticket_id: int | None):
    access = open_access(token, ticket_id)
    existing = satisfaction.rating_for(db_session(), access.ticket)
    if request.method == "GET":
        chosen = request.args.get("rating") or (existing.rating if existing else "")
        return render_template(
            "portal/survey.html",
            ticket=access.ticket,
            token=token,
            chosen=chosen,
            comment=existing.comment if existing else "",
            errors={},
            saved=False,
        )
    rating, comment = request.form.get("rating", ""), request.form.get("comment", "")
    try:
        satisfaction.rate_ticket(
            db_session(),
            access.ticket,
            access.customer,
            rating=rating,
            comment=comment,
            now=utcnow(),
        )
    except InvalidInput as exc:
        return render_template(
            "portal/survey.html",
            ticket=access.ticket,
            token=token,
            chosen=rating,
            comment=comment,
            saved=False,
            errors={exc.field: message_of(exc)},
        ), 422
    db_session().commit()
    return render_template(
        "portal/survey.html",
        ticket=access.ticket,
        token=token,
        chosen=rating,
        comment=comment,
        errors={},
        saved=True,
    )


@blueprint.get("/t/<token>/tickets/<int:ticket_id>/attachments/<int:attachment_id>")
def download(token: str, ticket_id: int, attachment_id: int):
    attachment = portal.find_attachment(open_access(token, ticket_id), attachment_id)
    path = attachments.path_for(portal_settings().attachment_folder, attachment.sha256)
    if not path.exists():
        abort(404)
    return send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
        max_age=0,
    )
