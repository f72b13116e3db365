"""The demo county: a generator only the CLI loads; nothing in production imports it."""
