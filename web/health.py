"""``GET /healthz``: is the database reachable, is the SLA clock running."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from slaengine.clock import utcnow
from slaengine.models import SchedulerRun
from web.database import database, session

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    settings = current_app.extensions["slaengine.settings"]
    reachable = database().is_reachable()
    scheduler = {"running": False, "jobs": {}}
    if reachable:
        try:
            runs = session().scalars(select(SchedulerRun)).all()
        except SQLAlchemyError:
            runs = []
        fresh_after = utcnow() - timedelta(
            seconds=3 * settings.sweep_interval_seconds + 10
        )
        for run in runs:
            scheduler["jobs"][run.job_id] = {
                "last_finished_at": run.last_finished_at.isoformat()
                if run.last_finished_at
                else None,
                "last_error": run.last_error,
            }
        sweep = next((r for r in runs if r.job_id == "sla-sweep"), None)
        scheduler["running"] = bool(
            sweep and sweep.last_finished_at and sweep.last_finished_at >= fresh_after
        )
    body = {
        "status": "ok" if reachable else "degraded",
        "database": "ok" if reachable else "unreachable",
        "scheduler": scheduler,
    }
    return jsonify(body), 200 if reachable else 503
