"""The huey queue the web app puts tasks on and `flask worker` takes them from.

Storage, by setting: Redis when DROPOUT_TASK_REDIS_URL is set (workers on several machines share it);
else on PostgreSQL huey's peewee storage in a schema of its own (`huey`) of the same database; else a
SQLite file beside the database (<database>.tasks). Only one huey task exists, `run(key)`: the record in
background_task says what to do (tasks/runners.py). With TASK_IMMEDIATE (the tests) a task runs at once,
inside the request that asks for it.
"""

from pathlib import Path
from urllib.parse import urlparse

from huey import RedisHuey, SqliteHuey
from huey.contrib.sql_huey import SqlHuey
from peewee import PostgresqlDatabase

from ..db import database

NAME = "dropout"
SCHEMA = "huey"


def sqlite_file(database_url):
    """The SQLite queue file beside a sqlite:/// database."""
    path = database_url[len("sqlite:///") :]
    return str(Path(path).with_name(Path(path).name + ".tasks")) if path and path != ":memory:" else "dropout.tasks"


def _postgres(database_url):
    """A peewee database for huey's own tables, in the schema `huey` of the app's PostgreSQL database."""
    parsed = urlparse(database_url)
    options = {"user": parsed.username, "password": parsed.password, "host": parsed.hostname}
    options["port"] = parsed.port or 5432
    db = PostgresqlDatabase(parsed.path.lstrip("/"), options=f"-c search_path={SCHEMA}", **options)
    with db.connection_context():
        db.execute_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    return db


def make_huey(config):
    """A huey instance for the app's settings (see the module's docstring)."""
    if config.get("TASK_IMMEDIATE"):
        return SqliteHuey(NAME, immediate=True)
    if config.get("TASK_REDIS_URL"):
        return RedisHuey(NAME, url=config["TASK_REDIS_URL"], results=False)
    url = config["DATABASE_URL"]
    if urlparse(url).scheme in ("postgres", "postgresql"):
        return SqlHuey(NAME, database=_postgres(url), results=False)
    return SqliteHuey(NAME, filename=sqlite_file(url), results=False)


def huey_of(app, run):
    """The app's huey, made on first use, with `run(key)` registered as its one task."""
    huey = app.extensions.get("huey")
    if huey is None:
        huey = make_huey(app.config)

        @huey.task(name="run", retries=0, context=False)
        def _run(key):
            with app.app_context():
                opened = database.is_closed()
                if opened:
                    database.connect()
                try:
                    run(app.config, key)
                finally:
                    if opened and not database.is_closed():
                        database.close()

        app.extensions["huey"] = huey
        app.extensions["huey.run"] = _run
    return huey


def enqueue(app, run, key):
    """Put the task with this key on the queue (in immediate mode: run it now)."""
    huey_of(app, run)
    app.extensions["huey.run"](key)
