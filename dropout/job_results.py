"""A scheduled job's run in the reader's language: its name, its result (stored as JSON by jobs.run_job) and
an interrupted run; results stored as English text before they were structured read back the same way."""

import json
import re

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .jobs import ARCHIVE, DAILY, MONTHLY

JOB_NAMES = {DAILY: _l("Daily job"), MONTHLY: _l("Monthly figures"), ARCHIVE: _l("Monthly archive")}
OUTCOMES = {
    "done_before": _l("Done before; nothing was done again"),
    "generated": _l("Figures generated for %(units)d units"),
    "locked": _l("Not generated: %(month)s is locked"),
    "archived": _l("%(files)d files written"),
    "archive_off": _l("Not written: the report archive is turned off (DROPOUT_ARCHIVE_REPORTS=0)"),
}
# The daily job's counts, in the order its result names them.
COUNTS = {
    "notices_overdue": _l("%(n)d notices newly overdue"),
    "visits_due": _l("%(n)d children due a visit"),
    "to_confirm": _l("%(n)d suspected cases to confirm"),
    "followups_due": _l("%(n)d follow-up visits due"),
    "exemptions_expiring": _l("%(n)d exemptions expiring soon"),
    "task_results_deleted": _l("%(n)d expired task results deleted"),
}
# The wordings of results stored before they were JSON, read back into their outcome.
LEGACY = (
    (r"done before", lambda m: {"outcome": "done_before"}),
    (r"generated: (\d+) units", lambda m: {"outcome": "generated", "units": int(m[1])}),
    (r"skipped: (\d{4}-\d{2}) is locked", lambda m: {"outcome": "locked", "month": m[1]}),
    (r"(\d+) files written", lambda m: {"outcome": "archived", "files": int(m[1])}),
    (r"skipped: the report archive is not available", lambda m: {"outcome": "archive_off"}),
    (
        r"\w+=\d+(?: \w+=\d+)*",
        lambda m: {"outcome": "counted", **{k: int(v) for k, v in (pair.split("=") for pair in m[0].split())}},
    ),
)


def job_name(job):
    """The job's name in the reader's language (an unknown job keeps its code)."""
    return str(JOB_NAMES.get(job, job))


def read(stored):
    """The result dict of a stored result (or of a job's outcome() itself), or None when it is neither JSON nor
    an old wording."""
    if isinstance(stored, dict):
        return stored
    try:
        result = json.loads(stored)
    except ValueError:
        for pattern, parse in LEGACY:
            match = re.fullmatch(pattern, stored.strip())
            if match:
                return parse(match)
        return None
    return result if isinstance(result, dict) and "outcome" in result else None


def result_text(stored):
    """A run's result (stored, or a job's outcome()) worded in the reader's language; text that is not a known
    result as it is."""
    result = read(stored or "")
    if result is None:
        return stored or ""
    values = dict(result)
    name = values.pop("outcome")
    if name == "counted":
        known = [str(COUNTS[key] % {"n": values[key]}) for key in COUNTS if key in values]
        other = [f"{key}={value}" for key, value in values.items() if key not in COUNTS]
        return _("; ").join(known + other)
    if name in OUTCOMES:
        return str(OUTCOMES[name] % values)
    return json.dumps(result, ensure_ascii=False)


def in_english(stored):
    """The result as the command line prints it: in English, as the rest of its output."""
    with force_locale("en"):
        return result_text(stored)


def error_text(error):
    """A run's error: 'interrupted' in the reader's language; any other error (a kind and a place in the code,
    for whoever maintains the app) as it is."""
    return _("Interrupted: the scheduler was stopped during this run") if error == "interrupted" else error
