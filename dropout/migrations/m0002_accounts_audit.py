"""Accounts, the append-only audit trail, login throttling, and a child's responsible teacher."""

APPEND_ONLY_SQLITE = """CREATE TRIGGER audit_log_no_{op} BEFORE {op} ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"""

APPEND_ONLY_POSTGRES_FUNCTION = """CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql"""


def up(run, dialect):
    run("""CREATE TABLE app_user (
        id {pk},
        username VARCHAR(255) NOT NULL UNIQUE,
        password_hash VARCHAR(255) NOT NULL,
        full_name VARCHAR(255) NOT NULL DEFAULT '',
        role VARCHAR(255) NOT NULL,
        township_id INTEGER REFERENCES township (id) ON DELETE RESTRICT,
        school_id INTEGER REFERENCES school (id) ON DELETE RESTRICT,
        village_id INTEGER REFERENCES village (id) ON DELETE RESTRICT,
        is_active BOOLEAN NOT NULL DEFAULT TRUE,
        created_at {ts} NOT NULL,
        last_login_at {ts})""")
    run("""CREATE TABLE audit_log (
        id {pk},
        at {ts} NOT NULL,
        user_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        username VARCHAR(255) NOT NULL DEFAULT '',
        action VARCHAR(255) NOT NULL,
        entity VARCHAR(255) NOT NULL,
        entity_id INTEGER,
        child_id INTEGER,
        "before" TEXT,
        "after" TEXT,
        reason TEXT NOT NULL DEFAULT '')""")
    run("CREATE INDEX audit_log_at ON audit_log (at)")
    run("CREATE INDEX audit_log_child_id ON audit_log (child_id)")
    if dialect == "postgres":
        run(APPEND_ONLY_POSTGRES_FUNCTION)
        run("""CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""")
    else:
        run(APPEND_ONLY_SQLITE.replace("{op}", "UPDATE"))
        run(APPEND_ONLY_SQLITE.replace("{op}", "DELETE"))
    run("""CREATE TABLE login_failure (
        id {pk},
        key VARCHAR(255) NOT NULL,
        at {ts} NOT NULL)""")
    run("CREATE INDEX login_failure_key ON login_failure (key)")
    run("ALTER TABLE child ADD COLUMN responsible_teacher_id INTEGER REFERENCES app_user (id) ON DELETE SET NULL")
    run("CREATE INDEX child_responsible_teacher_id ON child (responsible_teacher_id)")
