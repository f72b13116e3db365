"""Dropout cases (一人一案) with their event log, home visits, and exemptions."""


def up(run, dialect):
    run("""CREATE TABLE dropout_case (
        id {pk},
        child_id INTEGER NOT NULL UNIQUE REFERENCES child (id) ON DELETE CASCADE,
        absent_since DATE NOT NULL,
        opened_on DATE NOT NULL,
        opened_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        reason VARCHAR(255),
        reason_details TEXT NOT NULL DEFAULT '',
        cadre_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        teacher_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        status VARCHAR(255) NOT NULL,
        repeat_count INTEGER NOT NULL DEFAULT 0,
        next_visit_on DATE,
        deadline_on DATE,
        next_followup_on DATE,
        closed_kind VARCHAR(255),
        created_at {ts} NOT NULL,
        updated_at {ts} NOT NULL)""")
    for column in ("status", "cadre_id", "teacher_id", "next_visit_on"):
        run(f"CREATE INDEX dropout_case_{column} ON dropout_case ({column})")
    run("""CREATE TABLE home_visit (
        id {pk},
        case_id INTEGER REFERENCES dropout_case (id) ON DELETE CASCADE,
        child_id INTEGER NOT NULL REFERENCES child (id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES app_user (id) ON DELETE RESTRICT,
        visited_on DATE NOT NULL,
        method VARCHAR(255) NOT NULL,
        met VARCHAR(255) NOT NULL,
        outcome VARCHAR(255) NOT NULL,
        reasons TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        next_visit_on DATE,
        photo_path VARCHAR(255),
        latitude DOUBLE PRECISION,
        longitude DOUBLE PRECISION,
        is_followup BOOLEAN NOT NULL DEFAULT FALSE,
        is_teaching BOOLEAN NOT NULL DEFAULT FALSE,
        lessons INTEGER,
        is_late BOOLEAN NOT NULL DEFAULT FALSE,
        created_at {ts} NOT NULL)""")
    run("CREATE INDEX home_visit_case_id ON home_visit (case_id)")
    run("CREATE INDEX home_visit_child_id ON home_visit (child_id)")
    run("CREATE INDEX home_visit_visited_on ON home_visit (visited_on)")
    run("""CREATE TABLE case_event (
        id {pk},
        case_id INTEGER NOT NULL REFERENCES dropout_case (id) ON DELETE CASCADE,
        kind VARCHAR(255) NOT NULL,
        happened_on DATE NOT NULL,
        at {ts} NOT NULL,
        user_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        visit_id INTEGER REFERENCES home_visit (id) ON DELETE CASCADE,
        data TEXT NOT NULL DEFAULT '{{}}',
        notes TEXT NOT NULL DEFAULT '')""")
    run("CREATE INDEX case_event_case_id ON case_event (case_id)")
    run("""CREATE TABLE exemption (
        id {pk},
        child_id INTEGER NOT NULL REFERENCES child (id) ON DELETE CASCADE,
        kind VARCHAR(255) NOT NULL,
        reason TEXT NOT NULL,
        applied_on DATE NOT NULL,
        scan_path VARCHAR(255),
        status VARCHAR(255) NOT NULL,
        valid_until DATE NOT NULL,
        applied_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        approved_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        approved_on DATE,
        filed_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        filed_on DATE,
        created_at {ts} NOT NULL)""")
    run("CREATE INDEX exemption_child_id ON exemption (child_id)")
    run("CREATE INDEX exemption_valid_until ON exemption (valid_until)")
