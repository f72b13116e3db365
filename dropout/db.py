"""One deferred peewee database: SQLite by default, PostgreSQL when the URL says so."""

import io
from contextlib import contextmanager
from urllib.parse import urlparse

from peewee import DatabaseProxy, PostgresqlDatabase, SqliteDatabase

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -64000,
}


def open_database(url):
    """A peewee database for a sqlite:///path or postgresql://user:pw@host:port/name URL."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = url[len("sqlite:///") :] or ":memory:"
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS)
    if parsed.scheme in ("postgres", "postgresql"):
        return PostgresqlDatabase(
            parsed.path.lstrip("/"),
            user=parsed.username,
            password=parsed.password,
            host=parsed.hostname,
            port=parsed.port or 5432,
        )
    raise SystemExit(f"unsupported database URL scheme {parsed.scheme!r}: use sqlite:/// or postgresql://")


def is_postgres():
    return isinstance(database.obj, PostgresqlDatabase)


def init_app(app):
    """Bind the proxy to the configured database; connect per request."""
    database.initialize(open_database(app.config["DATABASE_URL"]))

    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not database.is_closed():
            database.close()


def reset_sequence(table):
    """After inserting explicit ids, move PostgreSQL's serial past them (no-op on SQLite)."""
    if is_postgres():
        database.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )


def bulk_insert(table, columns, rows):
    """Insert rows (tuples in the order of `columns`) with parameters, many at a time. psycopg2's executemany
    sends one statement per row, so on PostgreSQL each statement carries many rows; SQLite is fastest one row each."""
    if not rows:
        return
    marks = "(" + ", ".join([database.param] * len(columns)) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    cursor = database.cursor()
    if not is_postgres():
        cursor.executemany(head + marks, rows)
        return
    per = 10000 // len(columns)
    full = len(rows) - len(rows) % per
    if full:
        batches = [[value for row in rows[i : i + per] for value in row] for i in range(0, full, per)]
        cursor.executemany(head + ", ".join([marks] * per), batches)
    if full < len(rows):
        cursor.execute(head + ", ".join([marks] * (len(rows) - full)), [value for row in rows[full:] for value in row])


_NULL = {None: "\\N"}  # COPY's text format: \N is NULL
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value):
    """One value in COPY's text format: \\N for None, backslashes, tabs and line ends escaped, True/False as
    PostgreSQL reads them; ValueError for a NUL, which no PostgreSQL text holds."""
    if value is None:
        return "\\N"
    text = str(value)
    if "\x00" in text:
        raise ValueError("a NUL character cannot be written to PostgreSQL")
    return text.translate(_COPY_ESCAPES)


def copy_lines(rows, tail=""):
    """The rows (tuples) as lines of COPY's text format, each ending with tail (already in that format)."""
    lines = []
    add = lines.append
    for row in rows:
        line = "\t".join(map(str, map(_NULL.get, row, row)))
        # Only text holding a tab, a line end, a backslash or a NUL needs escaping: the \\N of each None is the
        # only backslash a plain row has.
        if (
            line.count("\t") != len(row) - 1
            or line.count("\\") != row.count(None)
            or "\n" in line
            or "\r" in line
            or "\x00" in line
        ):
            line = "\t".join(map(copy_text, row))
        add(line + tail + "\n")
    return "".join(lines)


def copy_rows(table, columns, rows, constants=None):
    """PostgreSQL: insert rows (tuples in the order of `columns`) with one COPY ... FROM STDIN, the fastest way in;
    `constants` ({column: value}) are the same on every row. ValueError for text holding a NUL (nothing
    written then)."""
    if not rows:
        return
    constants = constants or {}
    tail = "".join("\t" + copy_text(value) for value in constants.values())
    text = copy_lines(rows, tail)
    names = ", ".join((*columns, *constants))
    database.cursor().copy_expert(f"COPY {table} ({names}) FROM STDIN", io.StringIO(text))


def next_id(table):
    """The id after the table's highest, for rows inserted with explicit ids (then reset_sequence())."""
    return database.execute_sql(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0]


def write_transaction():
    """A transaction that takes SQLite's write lock at once, so a read-then-write waits (busy timeout)
    for another writer instead of failing when it upgrades; a plain transaction on PostgreSQL."""
    return database.atomic() if is_postgres() else database.atomic(lock_type="IMMEDIATE")


@contextmanager
def read_snapshot():
    """A read-only transaction in which every query sees the same data: SQLite's WAL snapshot from the
    first read; REPEATABLE READ on PostgreSQL (when it opens the transaction)."""
    opens = database.transaction_depth() == 0  # peewee counts only transactions, not savepoints, in the depth
    with database.atomic():
        if is_postgres() and opens:
            database.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield
