"""`flask --app dropout ...` commands for operators."""

import secrets
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from . import clock, config
from .choices import ROLES
from .core.errors import ValidationError
from .db import database


def init_app(app):
    for command in (
        init_db,
        create_user,
        demo_data,
        backup,
        print_notices,
        check_deadlines,
        import_roster,
        scheduler,
        worker,
        summaries,
        run_jobs,
    ):
        app.cli.add_command(command)


def _fail(errors):
    for field, message in errors.items():
        click.echo(f"{field}: {message}", err=True)
    sys.exit(1)


def _county_day(text, option):
    """The day an option names (default: the county's today); a day after the county's today is refused."""
    from .rules.dates import parse_date

    today = clock.today(current_app.config)
    try:
        day = parse_date(text) or today
    except ValueError:
        _fail({option: f"not a date: {text}"})
    if day > today:
        _fail(
            {
                option: f"{day} has not come yet in the county ({current_app.config['TIMEZONE']}: today is {today}); "
                "nothing was done"
            }
        )
    return day


@click.command("init-db")
@with_appcontext
def init_db():
    """Apply the schema migrations (safe to run again) and make the secret key."""
    from .migrations import migrate

    key_path = config.secret_key_path(current_app.instance_path)
    if not key_path.exists():
        key_path.parent.mkdir(parents=True, exist_ok=True)
        key_path.write_text(secrets.token_hex(32))
        key_path.chmod(0o600)
    with database.connection_context():
        applied = migrate()
    click.echo("applied: " + ", ".join(applied) if applied else "database is up to date")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(list(ROLES)))
@click.option("--township", default="", help="Township name (township role).")
@click.option("--school", default="", help="School name (teacher role).")
@click.option("--village", default="", help="Village name, or township/village where names repeat (village role).")
@click.option("--full-name", default="")
def create_user(username, role, township, school, village, full_name):
    """Create an account; the password is read from standard input."""
    from .accounts import users as accounts

    password = sys.stdin.readline().rstrip("\n")
    with database.connection_context():
        try:
            user = accounts.create_user(
                None,
                username,
                password,
                role,
                full_name,
                county=current_app.config["COUNTY_NAME"],
                township=township,
                school=school,
                village=village,
            )
        except ValidationError as exc:
            _fail(exc.errors)
    click.echo(f"created {user.username} ({user.role})")


@click.command("demo-data")
@with_appcontext
@click.option("--children", "n_children", default=20000, show_default=True)
@click.option("--seed", default=2026, show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when the county already has places.")
def demo_data(n_children, seed, if_empty):
    """Load a fictional county with children, history and one account per role."""
    from .demo import county as demo

    with database.connection_context():
        if demo.has_data():
            if not if_empty:
                click.echo("the database already holds a county; demo-data loads into an empty one", err=True)
                sys.exit(1)
        else:
            config = current_app.config
            counts = demo.load(
                n_children, seed, county=config["COUNTY_NAME"], start_age=config["SCHOOL_START_AGE"], config=config
            )
            click.echo(", ".join(f"{n} {name}" for name, n in counts.items()))
            months = demo.past_months(clock.today(), config["SCHOOL_START_AGE"], config["REPORT_DUE_DAY"])
            click.echo(f"monthly summaries {months[-1]} to {months[0]}")
    click.echo(demo.logins_text())


@click.command("backup")
@with_appcontext
@click.argument("dest", type=click.Path(dir_okay=False))
def backup(dest):
    """A consistent copy of the live database, safe while the app runs."""
    from .core.backup import backup_database

    try:
        backup_database(current_app.config["DATABASE_URL"], dest)
    except (OSError, RuntimeError) as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"backup written to {dest}")


@click.command("print-notices")
@click.option("--township", required=True, help="Township name.")
@click.option("--since", default="", help="Only notices issued on or after this day (2026-03-01).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The PDF to write.")
@with_appcontext
def print_notices(township, since, out):
    """Print a township's notices in force as one PDF, each followed by its proof of service."""
    from .core import scope
    from .models import ReturnNotice, Township, utcnow
    from .notices import notices, printing
    from .pdf.fonts import FontMissing
    from .rules.dates import parse_date

    try:
        since_on = parse_date(since)
    except ValueError:
        _fail({"since": f"not a date: {since}"})
    with database.connection_context():
        place = Township.get_or_none(Township.name == township)
        if place is None:
            _fail({"township": f"no township called {township}"})
        query = notices.listing(scope.WHOLE_COUNTY, township=place.id, since=since_on, superseded=False)
        chosen = list(query.order_by(ReturnNotice.seq))
        if not chosen:
            _fail({"notices": "no notice matches"})
        try:
            data = printing.print_batch(chosen, current_app.config["PDF_FONT"], utcnow())
        except FontMissing as exc:
            _fail({"font": str(exc)})
    with open(out, "wb") as file:
        file.write(data)
    click.echo(f"{len(chosen)} notices written to {out}")


@click.command("check-deadlines")
@click.option("--today", default="", help="The day to check as (default: today).")
@with_appcontext
def check_deadlines(today):
    """Mark served notices whose deadline passed without a return as overdue (safe to run again)."""
    from .notices import notices

    day = _county_day(today, "today")
    with database.connection_context():
        count = notices.check_deadlines(current_app.config, day)
    click.echo(f"{count} notices newly overdue")


@click.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and print what would change; write nothing.")
@click.option("--as", "username", default="", help="Act as this account (default: the county administrator).")
@click.option(
    "--as-of",
    "as_of",
    default="",
    help="The day the file's changes took effect: new children are on the roll from it, moves dated by it "
    "(default: today in the county).",
)
@with_appcontext
def import_roster(file, dry_run, username, as_of):
    """Import a roster (.xlsx or .csv), all rows or none; print the counts and every rejected row."""
    from pathlib import Path

    from .core.errors import PermissionDenied
    from .models import User
    from .roster import imports as roster_import
    from .roster import limits as workbook_limits

    with database.connection_context():
        accounts = User.select().where(User.is_active).order_by(User.id)
        user = accounts.where(User.username == username if username else User.role == "admin").first()
        if user is None:
            _fail({"as": f"no active account {username}" if username else "no active county administrator; pass --as"})
        try:
            outcome = roster_import.import_roster(
                user,
                file,
                commit=not dry_run,
                today=clock.today(),
                start_age=current_app.config["SCHOOL_START_AGE"],
                file_name=Path(file).name,
                as_of=_county_day(as_of, "as-of"),
                limits=workbook_limits.Limits.from_config(current_app.config),
            )
        except ValidationError as exc:
            _fail(exc.errors)
        except PermissionDenied:
            _fail({"as": f"a {user.role} account may not import rosters"})
    click.echo(", ".join(f"{kind} {count}" for kind, count in outcome.counts.items()))
    for sheet, row, column, name, message in outcome.rejections:
        click.echo(f"{sheet} row {row} [{column}] {name}: {message}", err=True)
    if outcome.problems > len(outcome.rejections):
        click.echo(f"... {outcome.problems - len(outcome.rejections)} more problems not listed", err=True)
    if outcome.ignored_columns:
        click.echo("columns left out: " + ", ".join(header for _sheet, header in outcome.ignored_columns))
    if outcome.counts["rejected"]:
        click.echo("nothing was written: correct the rejected rows and import the file again", err=True)
        sys.exit(1)
    click.echo("dry run: nothing was written" if dry_run else "imported")


@click.command("scheduler")
@with_appcontext
def scheduler():
    """Run the scheduler: catch up, then the daily and monthly jobs until stopped (one per database)."""
    from peewee import DatabaseError

    from . import scheduler as process

    try:
        process.run(current_app._get_current_object())
    except process.AlreadyRunning as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except DatabaseError as exc:
        _fail({"database": f"{str(exc).splitlines()[0]} (has init-db been run?)"})


@click.command("worker")
@with_appcontext
def worker():
    """Run the background task worker (imports, exports, a month's reports, batches of notices) until stopped.

    It runs DROPOUT_TASK_WORKERS tasks at once, at a lower CPU priority than the web server (pages stay fast
    while it works). Any number of workers may run, on one machine or, with DROPOUT_TASK_REDIS_URL, several."""
    import os

    from .tasks import queue, records, runners

    app = current_app._get_current_object()
    if app.config["TASK_IMMEDIATE"]:
        click.echo("DROPOUT_TASK_IMMEDIATE is set: tasks run inside the requests, no worker is needed")
        return
    with database.connection_context():
        stale = records.fail_stale(app.config["TASKS_DIR"], app.config["TASK_STALE_SECONDS"])
    if stale:
        click.echo(f"{stale} tasks had lost their worker and are marked failed")
    os.nice(10)
    huey = queue.huey_of(app, runners.run)
    consumer = huey.create_consumer(workers=max(1, app.config["TASK_WORKERS"]), worker_type="thread", max_delay=1.0)
    click.echo(f"task worker: {app.config['TASK_WORKERS']} at a time (Ctrl-C stops it)")
    consumer.run()


@click.command("summaries")
@click.option("--month", required=True, help="The month to generate, YYYY-MM.")
@click.option("--force", is_flag=True, help="Regenerate a month that was generated before (never a locked one).")
@with_appcontext
def summaries(month, force):
    """Generate a month's summaries and write its archive by hand (back-fills, corrections)."""
    from . import job_results, jobs
    from .models import SummaryMonth
    from .reporting.summaries import generate_month, parse_month

    config = current_app.config
    try:
        chosen = parse_month(month, clock.today(config))
    except ValidationError as exc:
        _fail(exc.errors)
    key = str(chosen)
    with database.connection_context():
        before = SummaryMonth.get_or_none(SummaryMonth.month == key)
        if before is not None and before.locked_at is not None:
            _fail({"month": f"{key} is locked: its summaries stay as they are (an admin may unlock it)"})
        if before is not None and not force:
            _fail(
                {
                    "month": f"{key} was generated at {before.generated_at:%Y-%m-%d %H:%M} UTC; "
                    "pass --force to generate it again"
                }
            )
        try:
            generate_month(chosen, start_age=config["SCHOOL_START_AGE"], due_day=config["REPORT_DUE_DAY"])
        except ValidationError as exc:
            _fail(exc.errors)
        click.echo(f"{key}: summaries {'regenerated' if before else 'generated'} for {jobs.unit_count(chosen)} units")
        try:
            click.echo(f"{key}: archive: {job_results.in_english(jobs.archive(chosen, config))}")
        except Exception as exc:
            _fail({"archive": f"{jobs.describe(exc)}; the summaries are saved, run the command again with --force"})


@click.command("run-jobs")
@click.option("--date", "day", default="", help="The day to run as (default: today in the county's time zone).")
@with_appcontext
def run_jobs(day):
    """Run once what the scheduler would have done by this day (missed months, today's daily job), then exit."""
    from . import job_results, jobs

    today = _county_day(day, "date")
    with database.connection_context():
        runs = jobs.catch_up(today, current_app.config)
    for run in runs:
        click.echo(f"{run.job} {run.period}: {run.error or job_results.in_english(run.result)}", err=bool(run.error))
    if not runs:
        click.echo("nothing to do")
    if any(run.error for run in runs):
        sys.exit(1)
