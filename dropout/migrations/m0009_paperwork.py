"""Paperwork that holds up: notices numbered per issuer (the township government or the county education
bureau) in one counter table for every series; the penalty chain's documents (事先告知书, 决定书); scans of
signed papers; the county calendar's school holidays and bureau-entered days.

The township counters move into document_counter as series notice:township:<id>, keeping every number."""


def up(run, dialect):
    run("""CREATE TABLE document_counter (
        series VARCHAR(255) NOT NULL,
        year INTEGER NOT NULL,
        last INTEGER NOT NULL,
        PRIMARY KEY (series, year))""")
    concat = "'notice:township:' || CAST(township_id AS VARCHAR(20))"
    run(f"INSERT INTO document_counter (series, year, last) SELECT {concat}, year, last FROM notice_counter")
    run("DROP TABLE notice_counter")

    run("ALTER TABLE return_notice ADD COLUMN issuer VARCHAR(255) NOT NULL DEFAULT 'township'")
    run("ALTER TABLE return_notice ADD COLUMN series VARCHAR(255) NOT NULL DEFAULT ''")
    run("ALTER TABLE return_notice ADD COLUMN early_reason TEXT NOT NULL DEFAULT ''")
    run(f"UPDATE return_notice SET series = {concat}")
    run("DROP INDEX return_notice_township_year_seq_version")
    run("CREATE UNIQUE INDEX return_notice_series_year_seq_version ON return_notice (series, year, seq, version)")

    run("""CREATE TABLE penalty_document (
        id {pk},
        notice_id INTEGER NOT NULL REFERENCES return_notice (id) ON DELETE RESTRICT,
        case_id INTEGER NOT NULL REFERENCES dropout_case (id) ON DELETE RESTRICT,
        kind VARCHAR(255) NOT NULL,
        prior_id INTEGER REFERENCES penalty_document (id) ON DELETE RESTRICT,
        issuer VARCHAR(255) NOT NULL,
        series VARCHAR(255) NOT NULL,
        year INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        number VARCHAR(255) NOT NULL,
        issued_on DATE NOT NULL,
        issued_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        penalty VARCHAR(255) NOT NULL,
        fine_amount INTEGER,
        hearing_offered BOOLEAN NOT NULL DEFAULT FALSE,
        data TEXT NOT NULL,
        pdf_path VARCHAR(255),
        sha256 VARCHAR(64),
        served_on DATE,
        service TEXT NOT NULL DEFAULT '{{}}',
        statement_due_on DATE,
        hearing_due_on DATE,
        statement_kind VARCHAR(255),
        statement_on DATE,
        statement TEXT NOT NULL DEFAULT '',
        statement_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        created_at {ts} NOT NULL)""")
    run("CREATE UNIQUE INDEX penalty_document_series_year_seq ON penalty_document (series, year, seq)")
    run("CREATE INDEX penalty_document_notice_id ON penalty_document (notice_id)")
    run("CREATE INDEX penalty_document_case_id ON penalty_document (case_id)")
    run("ALTER TABLE escalation ADD COLUMN document_id INTEGER REFERENCES penalty_document (id) ON DELETE RESTRICT")

    run("""CREATE TABLE document_scan (
        id {pk},
        notice_id INTEGER REFERENCES return_notice (id) ON DELETE RESTRICT,
        document_id INTEGER REFERENCES penalty_document (id) ON DELETE RESTRICT,
        kind VARCHAR(255) NOT NULL,
        path VARCHAR(255) NOT NULL,
        uploaded_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        uploaded_at {ts} NOT NULL)""")
    run("CREATE INDEX document_scan_notice_id ON document_scan (notice_id)")
    run("CREATE INDEX document_scan_document_id ON document_scan (document_id)")

    run("""CREATE TABLE calendar_entry (
        id {pk},
        kind VARCHAR(255) NOT NULL,
        name VARCHAR(255) NOT NULL DEFAULT '',
        starts_on DATE NOT NULL,
        ends_on DATE NOT NULL,
        created_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        created_at {ts} NOT NULL)""")
    run("CREATE INDEX calendar_entry_starts_on ON calendar_entry (starts_on)")
