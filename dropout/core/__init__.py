"""Shared pieces below every area: errors, access scope, the audit trail, uploads, spreadsheets, backups and the
county calendar."""
