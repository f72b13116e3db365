"""The county's case-work settings, read once at the edge and passed to the services."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CaseSettings:
    next_visit_days: int = 7
    followup_months: tuple = (1, 2, 3)
    late_entry_days: int = 3
    age_out: int = 16
    exemption_warning_days: int = 30
    start_age: int = 6

    @classmethod
    def from_config(cls, config):
        return cls(
            next_visit_days=config["NEXT_VISIT_DAYS"],
            followup_months=tuple(config["FOLLOWUP_MONTHS"]),
            late_entry_days=config["LATE_ENTRY_DAYS"],
            age_out=config["AGE_OUT"],
            exemption_warning_days=config["EXEMPTION_WARNING_DAYS"],
            start_age=config["SCHOOL_START_AGE"],
        )
