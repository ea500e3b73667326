"""The agent workspace's pages: parse, authorize, call one service, render."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import HTTPException

from slaengine import bulk, escalation, people, presence, queues, replies, signin, staff
from slaengine import tickets as ticket_service
from slaengine.clock import utcnow
from slaengine.errors import Conflict, InvalidInput, NotFound, StaleVersion
from slaengine.events import Actor
from slaengine.models import ACCOUNT_TIERS, PRIORITIES, ROLES
from slaengine.people import LANGUAGES
from slaengine.routing import hand_off as hand_off_ticket
from slaengine.routing.centers import default_centers
from slaengine.routing.choose import LANGUAGE_NAMES
from slaengine.workspace import attachment_file, open_ticket
from web.agent import forms
from web.agent.auth import StaffUser, check_csrf, login_manager, requires
from web.agent.auth import staff as signed_in
from web.database import session as db_session
from web.portal.views import offer_survey

blueprint = Blueprint(
    "agent", __name__, url_prefix="/agent", template_folder="templates"
)

PUBLIC_ENDPOINTS = ("agent.login",)
SIGN_IN_FAILED = (
    "Sign-in failed: the email address or password is not right. After "
    f"{signin.MAX_FAILURES} failed attempts an account is locked for "
    f"{int(signin.LOCK_DURATION.total_seconds() // 60)} minutes."
)


@blueprint.before_request
def guard():
    check_csrf()
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@blueprint.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    return _error_page(exc.code or 500, exc.name, exc.description or "")


@blueprint.errorhandler(NotFound)
def not_found(exc: NotFound):
    return _error_page(404, "Not found", str(exc))


@blueprint.errorhandler(InvalidInput)
def invalid(exc: InvalidInput):
    return _error_page(422, "That request could not be used", str(exc))


@blueprint.errorhandler(Conflict)
def conflict(exc: Conflict):
    return _error_page(409, "Conflict", str(exc))


@blueprint.context_processor
def navigation() -> dict:
    return {"queue_nav": lambda: list(queues.QUEUES.items()), "active_queue": None}


def _error_page(code: int, title: str, message: str):
    return render_template(
        "agent/error.html", code=code, title=title, message=message
    ), code


def _actor() -> Actor:
    return Actor.for_user(signed_in())


def _safe_next(target: str | None) -> str:
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/agent"):
        return url_for("agent.home")
    return target or url_for("agent.home")


# --- sign-in -----------------------------------------------------------------


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("agent/login.html", next=request.args.get("next", ""))
    email = request.form.get("email", "")
    db = db_session()
    user = signin.sign_in(db, email, request.form.get("password", ""), now=utcnow())
    db.commit()
    if user is None:
        return render_template(
            "agent/login.html",
            error=SIGN_IN_FAILED,
            email=email,
            next=request.form.get("next", ""),
        ), 401
    session.clear()
    login_user(StaffUser(user))
    return redirect(_safe_next(request.form.get("next")))


@blueprint.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("agent.login"))


# --- queues ------------------------------------------------------------------


@blueprint.get("/")
def home():
    return redirect(url_for("agent.queue", name="mine"))


@blueprint.get("/queues/<name>")
def queue(name: str):
    if name not in queues.QUEUES:
        raise NotFound(f"there is no queue called {name!r}")
    filters = forms.queue_filters(request.args)
    now = utcnow()
    partial = bool(request.args.get("partial"))
    page = queues.queue_page(
        db_session(), name, signed_in(), filters, now=now, with_counts=not partial
    )
    if partial:
        return render_template("agent/_rows.html", page=page, now=now)
    return render_template(
        "agent/queue.html",
        page=page,
        filters=filters,
        now=now,
        active_queue=name,
        **_queue_context(),
    )


def _queue_context() -> dict:
    staff_members = queues.assignable_staff(db_session())
    statuses = queues.ACTIVE_STATUSES + ("solved", "closed")
    return {
        "queue_names": queues.QUEUES,
        "sorts": queues.SORTS,
        "priorities": PRIORITIES,
        "statuses": statuses,
        "staff": staff_members,
        "options": {
            "status": [(s, s.replace("_", " ")) for s in statuses],
            "priority": [(p, p) for p in PRIORITIES],
            "center": [(code, c.name) for code, c in default_centers().items()],
            "account_tier": [(a, a) for a in ACCOUNT_TIERS],
            "assignee": [("me", "Me"), ("none", "Unassigned")]
            + [(str(u.id), u.name) for u in staff_members],
            "language": [(code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES],
        },
        "filter_query": lambda **changes: forms.filter_query(request.args, **changes),
    }


@blueprint.post("/queues/<name>/bulk")
@requires("work")
def bulk_change(name: str):
    action = request.form.get("action", "")
    value = request.form.get(f"{action}_value", "")
    if action == "assign" and value == "me":
        value = str(signed_in().id)
    db = db_session()
    result = bulk.apply_bulk(
        db,
        forms.ticket_ids(request.form),
        action=action,
        value=value,
        actor=_actor(),
        now=utcnow(),
    )
    db.commit()
    if result.changed:
        flash(f"Changed {len(result.changed)} ticket(s).", "success")
    for ticket_id, reason in result.failed:
        flash(f"#{ticket_id} was not changed: {reason}", "error")
    back = request.form.get("back", "")
    return redirect(f"{url_for('agent.queue', name=name)}?{back}")


@blueprint.get("/escalations")
@requires("board")
def escalations():
    now = utcnow()
    page = queues.escalation_board(db_session(), now=now)
    return render_template("agent/board.html", page=page, now=now, active_queue="board")


# --- the ticket page ----------------------------------------------------------


@blueprint.get("/tickets/<int:ticket_id>")
def ticket(ticket_id: int):
    return _render_ticket(ticket_id)


def _render_ticket(
    ticket_id: int, *, error: str | None = None, status: int = 200, stale: bool = False
):
    db = db_session()
    now = utcnow()
    view = open_ticket(db, ticket_id, signed_in(), now=now)
    db.commit()
    return render_template(
        "agent/ticket.html",
        view=view,
        now=now,
        error=error,
        stale=stale,
        form=request.form,
        priorities=PRIORITIES,
        statuses=ticket_service.TRANSITIONS,
    ), status


def _act(ticket_id: int, change: Callable, done: str):
    """Apply one ticket change from a form, or show the page with the reason."""
    db = db_session()
    ticket = ticket_service.get_ticket(db, ticket_id)
    try:
        change(db, ticket, forms.expected_version(request.form))
    except StaleVersion as exc:
        db.rollback()
        message = (
            f"Not saved: someone else changed this ticket while you had it open "
            f"(you edited version {exc.expected}; it is now at version "
            f"{exc.actual}). Check the latest version below, then try again; "
            f"your text is kept in the form."
        )
        return _render_ticket(ticket_id, error=message, status=409, stale=True)
    except (InvalidInput, Conflict) as exc:
        db.rollback()
        code = 409 if isinstance(exc, Conflict) else 422
        return _render_ticket(ticket_id, error=f"Not saved: {exc}", status=code)
    offer_survey(db, ticket)
    db.commit()
    flash(done, "success")
    return redirect(url_for("agent.ticket", ticket_id=ticket_id))


@blueprint.post("/tickets/<int:ticket_id>/reply")
@requires("work")
def reply(ticket_id: int):
    form = request.form
    return _act(
        ticket_id,
        lambda db, t, v: replies.reply_to_customer(
            db,
            t,
            body=form.get("body", ""),
            actor=_actor(),
            set_status=form.get("set_status") or None,
            expected_version=v,
            now=utcnow(),
        ),
        "Reply sent to the customer.",
    )


@blueprint.post("/tickets/<int:ticket_id>/note")
def note(ticket_id: int):
    return _act(
        ticket_id,
        lambda db, t, v: ticket_service.add_message(
            db,
            t,
            body=request.form.get("body", ""),
            public=False,
            actor=_actor(),
            channel="agent",
            expected_version=v,
            now=utcnow(),
        ),
        "Internal note added.",
    )


@blueprint.post("/tickets/<int:ticket_id>/status")
@requires("work")
def change_status(ticket_id: int):
    return _act(
        ticket_id,
        lambda db, t, v: ticket_service.change_status(
            db,
            t,
            request.form.get("status", ""),
            actor=_actor(),
            expected_version=v,
            now=utcnow(),
        ),
        "Status changed.",
    )


@blueprint.post("/tickets/<int:ticket_id>/priority")
@requires("work")
def change_priority(ticket_id: int):
    return _act(
        ticket_id,
        lambda db, t, v: ticket_service.change_priority(
            db,
            t,
            request.form.get("priority", ""),
            actor=_actor(),
            expected_version=v,
            now=utcnow(),
        ),
        "Priority changed; SLA targets recomputed.",
    )


@blueprint.post("/tickets/<int:ticket_id>/assign")
@requires("work")
def assign(ticket_id: int):
    db = db_session()
    assignee = forms.assignee(db, request.form.get("assignee", ""))
    return _act(
        ticket_id,
        lambda db, t, v: ticket_service.assign(
            db,
            t,
            assignee,
            actor=_actor(),
            expected_version=v,
            now=utcnow(),
        ),
        "Assignee changed.",
    )


@blueprint.post("/tickets/<int:ticket_id>/claim")
@requires("work")
def claim(ticket_id: int):
    return _act(
        ticket_id,
        lambda db, t, v: ticket_service.assign(
            db,
            t,
            signed_in(),
            actor=_actor(),
            expected_version=v,
            now=utcnow(),
        ),
        "The ticket is yours.",
    )


@blueprint.post("/tickets/<int:ticket_id>/workaround")
@requires("work")
def workaround(ticket_id: int):
    return _act(
        ticket_id,
        lambda db, t, v: ticket_service.mark_workaround(
            db,
            t,
            actor=_actor(),
            note=request.form.get("note", "").strip(),
            expected_version=v,
            now=utcnow(),
        ),
        "Workaround recorded.",
    )


@blueprint.post("/tickets/<int:ticket_id>/escalate")
@requires("work")
def escalate(ticket_id: int):
    return _act(
        ticket_id,
        lambda db, t, v: escalation.escalate(
            db,
            t,
            actor=_actor(),
            reason=request.form.get("reason", ""),
            expected_version=v,
            now=utcnow(),
        ),
        "Escalated.",
    )


@blueprint.post("/tickets/<int:ticket_id>/handoff")
@requires("work")
def hand_off(ticket_id: int):
    return _act(
        ticket_id,
        lambda db, t, v: hand_off_ticket(
            db,
            t,
            request.form.get("center", ""),
            actor=_actor(),
            note=request.form.get("note", ""),
            expected_version=v,
            now=utcnow(),
        ),
        "Handed off.",
    )


@blueprint.get("/attachments/<int:attachment_id>")
def attachment(attachment_id: int):
    found = attachment_file(db_session(), attachment_id, _attachment_folder())
    return send_file(
        found.path,
        mimetype=found.content_type,
        as_attachment=True,
        download_name=found.filename,
    )


def _attachment_folder() -> Path:
    return current_app.extensions["slaengine.settings"].instance_path / "attachments"


@blueprint.post("/tickets/<int:ticket_id>/presence")
def ticket_presence(ticket_id: int):
    db = db_session()
    ticket = ticket_service.get_ticket(db, ticket_id)
    now = utcnow()
    presence.mark_viewing(db, ticket.id, signed_in().id, now=now)
    viewers = presence.other_viewers(db, ticket.id, signed_in().id, now=now)
    db.commit()
    return jsonify(viewers=[user.name for user in viewers], version=ticket.version)


@blueprint.post("/tickets/<int:ticket_id>/leave")
def leave_ticket(ticket_id: int):
    db = db_session()
    presence.stop_viewing(db, ticket_id, signed_in().id)
    db.commit()
    return "", 204


# --- staff administration -------------------------------------------------------


@blueprint.get("/admin/users")
@requires("admin")
def users():
    return _render_users()


def _render_users(*, error: str | None = None, status: int = 200):
    return render_template(
        "agent/users.html",
        users=staff.list_staff(db_session()),
        roles=ROLES,
        centers=list(default_centers().values()),
        error=error,
        form=request.form,
        now=utcnow(),
        active_queue="users",
    ), status


@blueprint.post("/admin/users")
@requires("admin")
def create_user():
    form = request.form
    db = db_session()
    try:
        user = people.create_user(
            db,
            email=form.get("email", ""),
            name=form.get("name", ""),
            password=form.get("password", ""),
            role=form.get("role", "agent"),
            center=form.get("center") or None,
            tier=int(form["tier"]) if form.get("tier", "").isdigit() else None,
            languages=[
                code.strip()
                for code in form.get("languages", "en").split(",")
                if code.strip()
            ],
            timezone=form.get("timezone") or None,
        )
    except (InvalidInput, Conflict) as exc:
        db.rollback()
        return _render_users(
            error=str(exc), status=409 if isinstance(exc, Conflict) else 422
        )
    db.commit()
    flash(f"Account created for {user.name}.", "success")
    return redirect(url_for("agent.users"))


@blueprint.post("/admin/users/<int:user_id>/active")
@requires("admin")
def set_active(user_id: int):
    db = db_session()
    user = staff.set_active(
        db, user_id, request.form.get("active") == "1", by=signed_in()
    )
    db.commit()
    flash(
        f"{user.name} is now {'active' if user.active else 'deactivated'}.", "success"
    )
    return redirect(url_for("agent.users"))


@blueprint.post("/admin/users/<int:user_id>/unlock")
@requires("admin")
def unlock(user_id: int):
    db = db_session()
    user = staff.unlock(db, user_id, by=signed_in())
    db.commit()
    flash(f"{user.name} can sign in again.", "success")
    return redirect(url_for("agent.users"))
