"""The register from outside: roster import, register cross-checks and the 台账 (ledger)."""
