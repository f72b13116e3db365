"""Numbered schema migrations, applied in order, each in its own transaction.

Each module `mNNNN_name.py` defines `up(run)`, where `run(sql)` executes one statement
after filling in the dialect's types: {pk} an auto-increment primary key, {ts} a
timestamp. Migrations never drop data; a new one is added for every schema change.
"""

import importlib
import pkgutil

from ..db import database, is_postgres
from ..models import SchemaMigration, utcnow

TYPES = {
    "sqlite": {"pk": "INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT", "ts": "DATETIME"},
    "postgres": {"pk": "SERIAL NOT NULL PRIMARY KEY", "ts": "TIMESTAMP"},
}


def dialect():
    return "postgres" if is_postgres() else "sqlite"


def available():
    """[(version, name, module)] of every migration in this package, in order."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("m") and info.name[1:5].isdigit():
            module = importlib.import_module(f"{__name__}.{info.name}")
            found.append((int(info.name[1:5]), info.name[6:], module))
    return sorted(found, key=lambda item: item[0])


def applied_versions():
    database.execute_sql(
        "CREATE TABLE IF NOT EXISTS schema_migration "
        "(version INTEGER NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, "
        f"applied_at {TYPES[dialect()]['ts']} NOT NULL)"
    )
    return {row.version for row in SchemaMigration.select(SchemaMigration.version)}


def run_statement(sql):
    database.execute_sql(sql.format(**TYPES[dialect()]))


def migrate(target=None):
    """Apply every migration not yet applied (up to `target`); return the names applied."""
    done = applied_versions()
    applied = []
    for version, name, module in available():
        if version in done or (target is not None and version > target):
            continue
        with database.atomic():
            module.up(run_statement, dialect())
            SchemaMigration.create(version=version, name=name, applied_at=utcnow())
        applied.append(f"{version:04d}_{name}")
    return applied
