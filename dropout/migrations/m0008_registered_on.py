"""Each child carries the day from which it is on the county's roll (registered_on), in county time.

Existing children take the county day of their created_at (stored in UTC), at the configured time
zone's present offset (China keeps one offset all year). PostgreSQL then requires the column on
every insert; SQLite cannot drop a column default, so the application always writes it."""

from .. import clock


def up(run, dialect):
    minutes = int(clock.now().utcoffset().total_seconds() // 60)
    run("ALTER TABLE child ADD COLUMN registered_on DATE NOT NULL DEFAULT '2000-01-01'")
    if dialect == "postgres":
        run(f"UPDATE child SET registered_on = CAST(created_at + INTERVAL '{minutes} minutes' AS DATE)")
        run("ALTER TABLE child ALTER COLUMN registered_on DROP DEFAULT")
    else:
        run(f"UPDATE child SET registered_on = date(created_at, '{minutes:+d} minutes')")
    run("CREATE INDEX child_registered_on ON child (registered_on)")
