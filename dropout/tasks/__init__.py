"""Background tasks: long work (imports, exports, a month's reports, batches of notices) run by a huey worker,
with progress a page can show, and a result kept for a number of days."""
