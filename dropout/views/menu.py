"""The menu at the top of every page: the pages the signed-in user's role may open, in the order of the day's work.

A link is offered only to the roles its page lets in (tests/test_menu.py opens every link as every role), and only
when this installation has the page (a page added later joins the menu by being listed here)."""

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from ..roster.checks import ROLES as CHECK_ROLES
from ..roster.imports import IMPORT_ROLES
from ..verification.lists import ROLES as VERIFICATION_ROLES
from .bulletins import ROLES as BULLETIN_ROLES
from .ledgers import ROLES as LEDGER_ROLES
from .self_evaluation import ROLES as SELF_EVALUATION_ROLES


def _roles(*roles):
    """Who may open a page its view lets in by role."""
    return lambda user: user.role in roles


EVERYONE = _roles("admin", "bureau", "township", "teacher", "village")
EDITORS = attrgetter("can_edit_children")  # all but the bureau, who reads
FILERS = _roles("admin", "bureau", "township", "teacher")  # a village committee files no monthly report
COUNTY = attrgetter("can_read_places")


@dataclass(frozen=True)
class Link:
    endpoint: str
    label: str
    may_open: Callable  # the user's role lets them in: the same test as the page's view
    group: str = "main"  # "admin": the county's settings, folded under one entry


LINKS = (
    Link("home.index", _l("Home"), EVERYONE),
    Link("children.index", _l("Children"), EVERYONE),
    Link("cases.index", _l("Cases"), EVERYONE),
    Link("visits.create", _l("Log a visit"), EDITORS),
    Link("notices.index", _l("Notices"), EVERYONE),
    Link("exemptions.index", _l("Deferrals and exemptions"), EVERYONE),
    Link("reports.index", _l("Monthly report"), EVERYONE),
    Link("filing.latest", _l("Monthly filing"), FILERS),
    Link("bulletins.index", _l("Bulletins"), _roles(*BULLETIN_ROLES)),
    Link("self_evaluation.index", _l("Self-evaluation extract"), _roles(*SELF_EVALUATION_ROLES)),
    Link("imports.upload", _l("Import a roster"), _roles(*IMPORT_ROLES)),
    Link("ledgers.index", _l("Ledgers"), _roles(*LEDGER_ROLES)),
    Link("verification.index", _l("Verify the platform's lists"), _roles(*VERIFICATION_ROLES)),
    Link("registers.index", _l("Cross-check the registers"), _roles(*CHECK_ROLES)),
    Link("tasks.index", _l("My tasks"), EVERYONE),
    Link("help.index", _l("Help"), EVERYONE),
    Link("places.index", _l("Places"), COUNTY, "admin"),
    Link("calendar.index", _l("County calendar"), COUNTY, "admin"),
    Link("accounts.index", _l("Accounts"), _roles("admin"), "admin"),
    Link("reports.job_runs", _l("Scheduled jobs"), _roles("admin"), "admin"),
)


@dataclass(frozen=True)
class Item:
    label: str
    url: str
    current: bool  # the page shown is this link's area


def _current_endpoint():
    """The menu link of the page shown: its own, or else its area's first (a case's page: 一人一案)."""
    endpoints = [link.endpoint for link in LINKS]
    if request.endpoint in endpoints:
        return request.endpoint
    return next((e for e in endpoints if e.partition(".")[0] == request.blueprint), None)


def items(user, group="main"):
    """The menu's entries of a group for this user, in order; a page this installation does not have is left out."""
    current = _current_endpoint()
    found = []
    for link in LINKS:
        if link.group != group or not link.may_open(user):
            continue
        try:
            url = url_for(link.endpoint)
        except BuildError:
            continue
        found.append(Item(str(link.label), url, link.endpoint == current))
    return found


def init_app(app):
    app.context_processor(lambda: {"menu_items": items})
