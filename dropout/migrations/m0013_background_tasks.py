"""Background tasks (tasks/): who started what, its state and its result's name. The queue itself is huey's,
kept apart from these tables (a SQLite file beside the database, a schema of its own on PostgreSQL, or Redis)."""


def up(run, dialect):
    run(
        "CREATE TABLE background_task (id {pk}, key VARCHAR(32) NOT NULL, "
        "owner_id INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE, active_owner INTEGER, "
        "kind VARCHAR(32) NOT NULL, params TEXT NOT NULL, title VARCHAR(255) NOT NULL, "
        "status VARCHAR(16) NOT NULL, message TEXT NOT NULL, outcome TEXT NOT NULL, "
        "result_name VARCHAR(255) NOT NULL, created_at {ts} NOT NULL, started_at {ts}, finished_at {ts}, "
        "expires_at {ts})"
    )
    run("CREATE UNIQUE INDEX background_task_key ON background_task (key)")
    run("CREATE UNIQUE INDEX background_task_active_owner ON background_task (active_owner)")
    run("CREATE INDEX background_task_owner_id ON background_task (owner_id)")
    run("CREATE INDEX background_task_status ON background_task (status)")
    run("CREATE INDEX background_task_created_at ON background_task (created_at)")
    run("CREATE INDEX background_task_expires_at ON background_task (expires_at)")
