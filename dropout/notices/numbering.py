"""Gapless document numbers: one series per kind of document and issuer, restarting each year.

A series is named `<kind>:township:<id>` or `<kind>:bureau`, kind being notice (限期复学通知书), prior
(行政处罚事先告知书) or decision (行政处罚决定书).
"""

from ..db import database

ISSUERS = ("township", "bureau")
# The word after the issuer's name in a document number: 城关镇控辍通〔2026〕3号.
WORDS = {"notice": "控辍通", "prior": "罚告", "decision": "罚决"}


def series(kind, issuer, township):
    return f"{kind}:bureau" if issuer == "bureau" else f"{kind}:township:{township.id}"


def next_number(series_name, year):
    """The next sequence number in the series and year, inside the caller's transaction.

    One INSERT … ON CONFLICT … RETURNING: the row lock serialises concurrent issuers, so
    numbers never repeat and, since it rolls back with a failed issue, never skip.
    """
    cursor = database.execute_sql(
        "INSERT INTO document_counter (series, year, last) VALUES (%s, %s, 1) "
        "ON CONFLICT (series, year) DO UPDATE SET last = document_counter.last + 1 RETURNING last".replace(
            "%s", database.param
        ),
        (series_name, year),
    )
    return cursor.fetchone()[0]


def authority(issuer, township, config):
    """The issuing authority's full name as printed: 城关镇人民政府 or 示例县教育局."""
    return bureau_name(config) if issuer == "bureau" else f"{township.name}人民政府"


def bureau_name(config):
    return config.get("BUREAU_NAME") or f"{config['COUNTY_NAME']}教育局"


def format_number(kind, issuer, township, year, seq, config):
    if issuer == "bureau":
        prefix = bureau_name(config) + WORDS[kind]
    elif kind == "notice":
        prefix = township.notice_prefix or f"{township.name}{WORDS[kind]}"
    else:
        prefix = f"{township.name}{WORDS[kind]}"
    return f"{prefix}〔{year}〕{seq}号"
