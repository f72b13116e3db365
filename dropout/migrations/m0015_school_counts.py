"""One index a school's home-page counts are read from (children/counts.py): a teacher's counts walked a
school's every child row, seven times (1.3 s on a million-child county); from this index, 0.2 s."""


def up(run, dialect):
    run(
        "CREATE INDEX child_school_counts ON child "
        "(school_id, status, is_poor, is_left_behind, is_migrant, is_orphan, disability_category)"
    )
