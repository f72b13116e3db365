"""Settings read from DROPOUT_* environment variables; every one is listed in the README."""

import os
from pathlib import Path

from .rules.indicators import CODES as INDICATOR_CODES

ROOT = Path(__file__).resolve().parent.parent


def int_list(text):
    """'1,2,3' -> (1, 2, 3)."""
    return tuple(int(part) for part in str(text).split(",") if part.strip())


def text_list(text):
    """'a, b' -> ('a', 'b')."""
    return tuple(part.strip() for part in str(text).split(",") if part.strip())


# name -> (default, type); the Flask config key is the name without the prefix.
SETTINGS = {
    "DATABASE_URL": (None, str),  # default: sqlite:///<instance>/dropout.db
    "SECRET_KEY": (None, str),  # default: read from <instance>/secret_key, written by init-db
    "REPORTS_DIR": (str(ROOT / "reports"), str),
    "LOCALE": ("zh_CN", str),
    "COUNTY_NAME": ("示例县", str),
    "TIMEZONE": ("Asia/Shanghai", str),
    "SCHOOL_START_AGE": (6, int),
    "SESSION_MINUTES": (480, int),
    "LOGIN_MAX_FAILURES": (5, int),
    "LOGIN_LOCKOUT_SECONDS": (60, int),
    "PAGE_SIZE": (50, int),
    "UPLOADS_DIR": (None, str),  # default: <instance>/uploads (outside the web root)
    "NEXT_VISIT_DAYS": (7, int),
    "FOLLOWUP_MONTHS": ((1, 2, 3), int_list),
    "LATE_ENTRY_DAYS": (3, int),
    "AGE_OUT": (16, int),
    "EXEMPTION_WARNING_DAYS": (30, int),
    "NOTICE_DEADLINE_DAYS": (7, int),
    "NOTICE_TEMPLATE": (str(ROOT / "templates" / "notices" / "return_notice.txt"), str),
    "DECISION_TEMPLATE": (str(ROOT / "templates" / "notices" / "penalty_decision.txt"), str),
    "PRIOR_NOTICE_TEMPLATE": (str(ROOT / "templates" / "notices" / "prior_notice.txt"), str),
    "PROVINCE_REGULATION": ("", str),  # e.g. 《××省实施〈中华人民共和国义务教育法〉办法》第××条
    # The provisions that authorise a penalty and an application to the court; empty: not offered.
    "PENALTY_BASIS": ("", str),  # e.g. 《××省义务教育条例》第四十八条
    "COURT_BASIS": ("", str),
    "FINE_MAX": (0, int),  # the largest fine the penalty provision allows, in yuan; 0: a warning only
    "HEARING_FINE_FROM": (2000, int),  # fines from this amount (yuan) come with the right to a hearing
    "STATEMENT_DAYS": (3, int),  # working days to state a case and defend (陈述申辩) after a prior notice
    "NOTICE_MIN_CONTACTS": (2, int),  # contacts recorded before a notice (fewer needs a recorded reason)
    "NOTICE_MIN_IN_PERSON": (1, int),  # of which in person: a home visit or a talk at school
    "BUREAU_NAME": ("", str),  # default: <COUNTY_NAME>教育局
    "REVIEW_BODY": ("", str),  # where 行政复议 is applied for; default: <COUNTY_NAME>人民政府
    "MEASURES": (("further_order", "penalty", "court", "police_admonition", "referral"), text_list),
    "PDF_FONT": (None, str),  # a .ttf/.ttc CJK TrueType font; default: the usual system paths
    "IMPORT_MAX_MB": (50, int),  # roster and register uploads above this are refused
    # Bounds an uploaded spreadsheet is checked against before anything reads it (workbook_limits).
    "XLSX_MAX_MEMBERS": (1000, int),  # parts in an .xlsx zip
    "XLSX_MAX_UNCOMPRESSED_MB": (100, int),  # an .xlsx unpacked (each part and all); a CSV's bytes
    "XLSX_MAX_RATIO": (100, int),  # unpacked : packed, for each .xlsx part of 1 MB or more
    "SHEET_MAX_ROWS": (200_000, int),  # rows of a sheet or CSV, to its last used row
    "SHEET_MAX_CELLS": (2_000_000, int),  # cells of a file's sheets, each from A1 to its last used cell
    "XLS_MAX_MB": (20, int),  # legacy .xls files (not compressed) above this are refused
    "PUBLIC_URL": ("http://127.0.0.1:5000", str),  # printed in the notices' QR codes
    "REPORT_DUE_DAY": (5, int),  # monthly reports are due on this day of the next month
    "ARCHIVE_REPORTS": (1, int),  # 0: the monthly job writes no PDF/.xlsx archive of the month (the pages still can)
    # Indicator thresholds, in percent: rates at least (enrolment, disabled, retention) or at most (dropout).
    "THRESHOLD_ENROLMENT": (99.0, float),
    "THRESHOLD_ENROLMENT_PRIMARY": (99.0, float),  # 小学毛入学率
    "THRESHOLD_ENROLMENT_JUNIOR": (95.0, float),  # 初中毛入学率
    "THRESHOLD_DROPOUT_PRIMARY": (1.0, float),
    "THRESHOLD_DROPOUT_PRIMARY_NET": (1.0, float),  # children still out ÷ the year's roll
    "THRESHOLD_DROPOUT_JUNIOR": (3.0, float),
    "THRESHOLD_DROPOUT_JUNIOR_NET": (3.0, float),
    "THRESHOLD_DISABLED": (97.0, float),
    "THRESHOLD_RETENTION": (95.0, float),
    "VETO_INDICATORS": ((), text_list),  # indicator codes the province treats as 一票否决 (veto)
    # 通报 and 督办函: what makes a unit lag in a locked month's figures (a rule at 0 is off), the days to put it right.
    "BULLETIN_UNITS": (("township", "school"), text_list),  # the kinds of unit a 通报 names: township, school
    "BULLETIN_DROPOUT_RATE": (1, int),  # 1: a dropout rate above its THRESHOLD_DROPOUT_* lags
    "BULLETIN_MIN_STILL_OUT": (1, int),  # this many children still out at the month's end lag
    "BULLETIN_MIN_OVERDUE_NOTICES": (1, int),  # this many 限期复学通知书 past their deadline lag
    "BULLETIN_MIN_COVERAGE": (80.0, float),  # visit coverage (children visited ÷ children out) below this percent lags
    "BULLETIN_LATE_REPORT": (1, int),  # 1: a monthly report submitted after its due day, or not at all, lags
    "BULLETIN_RECTIFY_DAYS": (15, int),  # days from the 通报 to the 督办函's deadline
    "SCHEDULER_DAILY_AT": ("01:30", str),  # the daily jobs' time of day, in the county's time zone
    "TRUSTED_PROXIES": (0, int),  # reverse proxies in front whose X-Forwarded-For/-Proto/-Host are believed
    "HTTPS": (0, int),  # 1: served over HTTPS only (Secure cookies, HSTS)
    # Background tasks (tasks/): imports, exports, a month's reports and batches of notices run by `flask worker`.
    "TASKS_DIR": (None, str),  # default: <instance>/tasks (their progress and results; shared by every worker)
    "TASK_REDIS_URL": ("", str),  # redis://host:6379/0: the queue in Redis, for workers on several machines
    "TASK_KEEP_DAYS": (7, int),  # a task's result can be downloaded for this many days
    "TASK_WORKERS": (2, int),  # tasks one `flask worker` runs at once (threads: a ledger holds up no import)
    "TASK_STALE_SECONDS": (60, int),  # a running task without a heartbeat for this long has lost its worker
    "TASK_IMMEDIATE": (0, int),  # 1: run each task inside the request that asks for it (no worker; small counties)
}


def thresholds(config):
    """The indicator thresholds from the app config, keyed as rules.indicators expects."""
    return {code: config["THRESHOLD_" + code.upper()] for code in INDICATOR_CODES}


def veto_indicators(config):
    """The codes of the 一票否决 indicators; SystemExit naming the setting when one is not an indicator."""
    codes = tuple(config.get("VETO_INDICATORS") or ())
    unknown = [code for code in codes if code not in INDICATOR_CODES]
    if unknown:
        raise SystemExit(
            f"DROPOUT_VETO_INDICATORS names unknown indicators: {', '.join(unknown)} "
            f"(known: {', '.join(INDICATOR_CODES)})"
        )
    return frozenset(codes)


BULLETIN_KINDS = ("township", "school")


def bulletin_units(config):
    """The kinds of unit a 通报 names; SystemExit naming the setting when one is neither township nor school."""
    kinds = tuple(config.get("BULLETIN_UNITS") or ())
    unknown = [kind for kind in kinds if kind not in BULLETIN_KINDS]
    if unknown:
        raise SystemExit(f"DROPOUT_BULLETIN_UNITS names unknown units: {', '.join(unknown)} (known: township, school)")
    return kinds


def from_environment(environ=None):
    """The settings present in the environment, converted to their types."""
    environ = os.environ if environ is None else environ
    values = {}
    for name, (default, kind) in SETTINGS.items():
        raw = environ.get("DROPOUT_" + name)
        if raw is None or raw == "":
            values[name] = default
            continue
        try:
            values[name] = kind(raw)
        except ValueError:
            raise SystemExit(f"DROPOUT_{name} has the wrong form ({kind.__name__}): {raw!r}") from None
    veto_indicators(values)  # an unknown code stops the app at start, not at the first report
    bulletin_units(values)
    return values


def secret_key_path(instance_path):
    return Path(instance_path) / "secret_key"


def read_secret_key(instance_path):
    """The key init-db wrote, or None before the first init-db."""
    path = secret_key_path(instance_path)
    return path.read_text().strip() if path.exists() else None
