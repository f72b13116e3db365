"""Monthly reporting: figures, frozen summaries, the dashboard, filing and the archive."""
