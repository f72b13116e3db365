"""The county's clock: "today" is the county's day in DROPOUT_TIMEZONE, whatever the server's zone.

Timestamps are stored in UTC (naive); days are the county's (rules.dates.local_date converts one).
Everything in dropout/ that needs
"now" or "today" asks here, so a test can stand at any hour and a server in UTC agrees with the county.
"""

import os
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .config import SETTINGS


def zone_name(config=None):
    """The configured time zone's name: from `config`, else the app's, else DROPOUT_TIMEZONE."""
    if config is None:
        from flask import current_app, has_app_context

        if has_app_context():
            config = current_app.config
    if config is not None:
        return config["TIMEZONE"]
    return os.environ.get("DROPOUT_TIMEZONE") or SETTINGS["TIMEZONE"][0]


def zone(config=None):
    try:
        return ZoneInfo(zone_name(config))
    except (ZoneInfoNotFoundError, ValueError):
        raise SystemExit(f"DROPOUT_TIMEZONE is not a known time zone: {zone_name(config)!r}") from None


def now(config=None):
    """The county's time now (aware)."""
    return datetime.now(zone(config))


def today(config=None):
    """The county's date today."""
    return now(config).date()
