"""Indexes on the foreign keys the application looks rows up by, or that a delete elsewhere checks or
cascades through: a township's notices, a prior notice's decisions, a case's later measures, a visit's
case events. (tests/test_schema.py compares the migrated schema with dropout/models.py.)"""


def up(run, dialect):
    run("CREATE INDEX return_notice_township_id ON return_notice (township_id)")
    run("CREATE INDEX penalty_document_prior_id ON penalty_document (prior_id)")
    run("CREATE INDEX escalation_case_id ON escalation (case_id)")
    run("CREATE INDEX case_event_visit_id ON case_event (visit_id)")
