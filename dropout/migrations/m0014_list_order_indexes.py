"""Indexes in the order the lists are read, so that a page is read from where the last one ended
(core/paging.py) instead of sorting every row in scope: the children by village, name and id (and so within
a school, for a township's pupils who live elsewhere), the cases by their last change, newest first. And
small partial indexes by place for the home page's counts (children/counts.py). (tests/test_schema.py
compares the migrated schema with dropout/models.py.)"""


def up(run, dialect):
    run("CREATE INDEX child_village_id_name_id ON child (village_id, name, id)")
    run("CREATE INDEX child_school_id_village_id_name_id ON child (school_id, village_id, name, id)")
    run("CREATE INDEX dropout_case_updated_at_id ON dropout_case (updated_at, id)")
    # The home page's counts (children/counts.py): small partial indexes by place, one per thing counted.
    for name, condition in COUNTED.items():
        columns = "village_id, school_id, status" if name == "not_enrolled" else "village_id, school_id"
        run(f"CREATE INDEX child_counted_{name} ON child ({columns}) WHERE {condition}")


COUNTED = {
    "not_enrolled": "status <> 'enrolled'",
    "poor": "is_poor",
    "left_behind": "is_left_behind",
    "migrant": "is_migrant",
    "disabled": "disability_category IS NOT NULL",
    "orphan": "is_orphan",
    "no_id": "id_number IS NULL",
}
