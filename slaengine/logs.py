"""Logging set-up for the entry points (never at import time)."""

import logging.config
import os


def configure_logging(level: str | None = None) -> None:
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
            },
            "handlers": {
                "stderr": {"class": "logging.StreamHandler", "formatter": "plain"}
            },
            "root": {
                "level": level or os.environ.get("LOG_LEVEL", "INFO"),
                "handlers": ["stderr"],
            },
            "loggers": {
                "apscheduler": {"level": "WARNING"},
                "alembic.runtime.plugins": {"level": "WARNING"},
            },
        }
    )
