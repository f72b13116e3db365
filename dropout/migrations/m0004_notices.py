"""限期复学通知书: gapless numbers per township and year, notices with their service, later measures."""


def up(run, dialect):
    run("""CREATE TABLE notice_counter (
        township_id INTEGER NOT NULL REFERENCES township (id) ON DELETE RESTRICT,
        year INTEGER NOT NULL,
        last INTEGER NOT NULL,
        PRIMARY KEY (township_id, year))""")
    run("""CREATE TABLE return_notice (
        id {pk},
        case_id INTEGER NOT NULL REFERENCES dropout_case (id) ON DELETE RESTRICT,
        township_id INTEGER NOT NULL REFERENCES township (id) ON DELETE RESTRICT,
        year INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        number VARCHAR(255) NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        supersedes_id INTEGER REFERENCES return_notice (id) ON DELETE RESTRICT,
        status VARCHAR(255) NOT NULL,
        issued_on DATE NOT NULL,
        issued_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        deadline_days INTEGER NOT NULL,
        return_school VARCHAR(255) NOT NULL DEFAULT '',
        data TEXT NOT NULL,
        verify_code VARCHAR(32) NOT NULL UNIQUE,
        pdf_path VARCHAR(255),
        sha256 VARCHAR(64),
        served_on DATE,
        service TEXT NOT NULL DEFAULT '{{}}',
        deadline_on DATE,
        created_at {ts} NOT NULL)""")
    run(
        "CREATE UNIQUE INDEX return_notice_township_year_seq_version ON return_notice (township_id, year, seq, version)"
    )
    run("CREATE INDEX return_notice_case_id ON return_notice (case_id)")
    run("CREATE INDEX return_notice_status ON return_notice (status)")
    run("""CREATE TABLE escalation (
        id {pk},
        notice_id INTEGER NOT NULL REFERENCES return_notice (id) ON DELETE RESTRICT,
        case_id INTEGER NOT NULL REFERENCES dropout_case (id) ON DELETE RESTRICT,
        kind VARCHAR(255) NOT NULL,
        document_number VARCHAR(255) NOT NULL DEFAULT '',
        decided_on DATE NOT NULL,
        decided_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        notes TEXT NOT NULL DEFAULT '',
        created_at {ts} NOT NULL)""")
    run("CREATE INDEX escalation_notice_id ON escalation (notice_id)")
