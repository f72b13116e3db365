"""Case work: dropout cases, home visits, exemptions and the case list."""
