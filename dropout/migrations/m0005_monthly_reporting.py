"""Monthly reporting: each child's status history, frozen monthly summaries, the monthly
report workflow, cohort intakes, the scheduler's claims and runs, archived report files."""

# Every change of a child's status, school or village is kept, dated by child.status_since
# when the application moved it with the change (the day it happened), else by today.
HISTORY_SQLITE = """CREATE TRIGGER child_change_history AFTER UPDATE OF status, school_id, village_id ON child
    WHEN OLD.status IS NOT NEW.status OR OLD.school_id IS NOT NEW.school_id OR OLD.village_id IS NOT NEW.village_id
    BEGIN
        INSERT INTO child_change (child_id, changed_on, old_status, new_status, old_school_id, new_school_id,
                                  old_village_id, new_village_id, at)
        VALUES (NEW.id,
                CASE WHEN NEW.status_since IS NOT NULL AND NEW.status_since IS NOT OLD.status_since
                     THEN NEW.status_since ELSE date('now') END,
                OLD.status, NEW.status, OLD.school_id, NEW.school_id, OLD.village_id, NEW.village_id,
                datetime('now'));
    END"""

HISTORY_POSTGRES_FUNCTION = """CREATE FUNCTION child_change_history() RETURNS trigger AS $$
    BEGIN
        IF OLD.status IS DISTINCT FROM NEW.status OR OLD.school_id IS DISTINCT FROM NEW.school_id
           OR OLD.village_id IS DISTINCT FROM NEW.village_id THEN
            INSERT INTO child_change (child_id, changed_on, old_status, new_status, old_school_id, new_school_id,
                                      old_village_id, new_village_id, at)
            VALUES (NEW.id,
                    CASE WHEN NEW.status_since IS NOT NULL AND NEW.status_since IS DISTINCT FROM OLD.status_since
                         THEN NEW.status_since ELSE CURRENT_DATE END,
                    OLD.status, NEW.status, OLD.school_id, NEW.school_id, OLD.village_id, NEW.village_id,
                    timezone('utc', now()));
        END IF;
        RETURN NEW;
    END; $$ LANGUAGE plpgsql"""


def up(run, dialect):
    run("ALTER TABLE child ADD COLUMN status_since DATE")
    run("""CREATE TABLE child_change (
        id {pk},
        child_id INTEGER NOT NULL REFERENCES child (id) ON DELETE CASCADE,
        changed_on DATE NOT NULL,
        old_status VARCHAR(255),
        new_status VARCHAR(255),
        old_school_id INTEGER,
        new_school_id INTEGER,
        old_village_id INTEGER,
        new_village_id INTEGER,
        at {ts} NOT NULL)""")
    run("CREATE INDEX child_change_changed_on ON child_change (changed_on)")
    run("CREATE INDEX child_change_child_id ON child_change (child_id)")
    if dialect == "postgres":
        run(HISTORY_POSTGRES_FUNCTION)
        run("""CREATE TRIGGER child_change_history AFTER UPDATE ON child
            FOR EACH ROW EXECUTE FUNCTION child_change_history()""")
    else:
        run(HISTORY_SQLITE)
    run("""CREATE TABLE summary_month (
        month VARCHAR(7) NOT NULL PRIMARY KEY,
        generated_at {ts} NOT NULL,
        generated_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        locked_at {ts},
        locked_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT)""")
    run("""CREATE TABLE monthly_summary (
        id {pk},
        month VARCHAR(7) NOT NULL REFERENCES summary_month (month) ON DELETE RESTRICT,
        unit_kind VARCHAR(16) NOT NULL,
        unit_id INTEGER NOT NULL,
        figures TEXT NOT NULL)""")
    run("CREATE UNIQUE INDEX monthly_summary_month_unit ON monthly_summary (month, unit_kind, unit_id)")
    run("""CREATE TABLE monthly_report (
        id {pk},
        month VARCHAR(7) NOT NULL,
        unit_kind VARCHAR(16) NOT NULL,
        unit_id INTEGER NOT NULL,
        status VARCHAR(16) NOT NULL,
        due_on DATE NOT NULL,
        comment TEXT NOT NULL DEFAULT '',
        submitted_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        submitted_at {ts},
        approved_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        approved_at {ts})""")
    run("CREATE UNIQUE INDEX monthly_report_month_unit ON monthly_report (month, unit_kind, unit_id)")
    run("""CREATE TABLE cohort_intake (
        entry_year INTEGER NOT NULL,
        unit_kind VARCHAR(16) NOT NULL,
        unit_id INTEGER NOT NULL,
        intake INTEGER NOT NULL,
        entered_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        entered_at {ts} NOT NULL,
        PRIMARY KEY (entry_year, unit_kind, unit_id))""")
    run("""CREATE TABLE job_claim (
        job VARCHAR(64) NOT NULL,
        period VARCHAR(16) NOT NULL,
        claimed_at {ts} NOT NULL,
        PRIMARY KEY (job, period))""")
    run("""CREATE TABLE job_run (
        id {pk},
        job VARCHAR(64) NOT NULL,
        period VARCHAR(16) NOT NULL,
        started_at {ts} NOT NULL,
        finished_at {ts},
        result TEXT NOT NULL DEFAULT '',
        error TEXT NOT NULL DEFAULT '')""")
    run("CREATE INDEX job_run_started_at ON job_run (started_at)")
    run("""CREATE TABLE report_file (
        id {pk},
        month VARCHAR(7) NOT NULL,
        unit_kind VARCHAR(16) NOT NULL,
        unit_id INTEGER NOT NULL,
        kind VARCHAR(8) NOT NULL,
        path VARCHAR(255) NOT NULL,
        sha256 VARCHAR(64) NOT NULL,
        written_at {ts} NOT NULL)""")
    run("CREATE UNIQUE INDEX report_file_month_unit_kind ON report_file (month, unit_kind, unit_id, kind)")
