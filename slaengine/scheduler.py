"""The scheduler: SLA sweep, outbox delivery, follow-the-sun, as jobs (data).

It runs in its own process (``slaengine scheduler``) or beside the web
server (``slaengine run``); never inside the app factory, where reloaders and
several workers would run the jobs twice over. Running two schedulers at
once is safe all the same: the sweep locks the rows it takes and each firing
is unique in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from slaengine.clock import utcnow
from slaengine.config import Settings
from slaengine.db import Database
from slaengine.delivery import deliver_due
from slaengine.models import SchedulerRun
from slaengine.routing import run_handoffs
from slaengine.sla.sweep import run_sweep

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    id: str
    seconds: float
    run: Callable[[Database, Settings], object]


def _sweep(database: Database, settings: Settings) -> object:
    return run_sweep(
        database,
        now=utcnow(),
        batch_size=settings.sweep_batch_size,
        workers=settings.sweep_workers,
    )


def _deliver(database: Database, settings: Settings) -> object:
    return deliver_due(database, settings, now=utcnow())


def _follow_the_sun(database: Database, settings: Settings) -> object:
    return run_handoffs(database, now=utcnow())


def _mail_intake(database: Database, settings: Settings) -> object:
    from slaengine.mail.intake import process_waiting

    return process_waiting(database, settings=settings, now=utcnow())


def _mail_imap(database: Database, settings: Settings) -> object:
    from slaengine.mail.imap import poll_imap

    return poll_imap(database, settings, now=utcnow())


def _mail_jobs(settings: Settings) -> list[Job]:
    """Messages a crash left unprocessed; IMAP polling where configured."""
    found = [Job("mail-intake", 60.0, _mail_intake)]
    if settings.mail.imap is not None:
        found.append(Job("mail-imap", settings.mail.imap.interval_seconds, _mail_imap))
    return found


def jobs(settings: Settings) -> list[Job]:
    return _mail_jobs(settings) + [
        Job("sla-sweep", settings.sweep_interval_seconds, _sweep),
        Job("outbox-delivery", settings.outbox_interval_seconds, _deliver),
        # Hand-offs are checked at the clock's pace: a peak ends on the minute.
        Job("follow-the-sun", settings.sweep_interval_seconds, _follow_the_sun),
    ]


def run_job(job: Job, database: Database, settings: Settings) -> None:
    """Run one job and record its heartbeat; a failure is logged, not raised."""
    started = utcnow()
    error = None
    try:
        job.run(database, settings)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        logger.exception("event=scheduler.job_failed job=%s", job.id)
    with database.session() as session:
        row = session.get(SchedulerRun, job.id) or SchedulerRun(job_id=job.id)
        row.last_started_at, row.last_finished_at, row.last_error = (
            started,
            utcnow(),
            error,
        )
        session.add(row)


def build_scheduler(
    database: Database, settings: Settings, *, blocking: bool
) -> BaseScheduler:
    scheduler = (
        BlockingScheduler(timezone="UTC")
        if blocking
        else BackgroundScheduler(timezone="UTC")
    )
    for job in jobs(settings):
        scheduler.add_job(
            run_job,
            "interval",
            seconds=job.seconds,
            args=(job, database, settings),
            id=job.id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            next_run_time=utcnow(),
        )
    return scheduler
