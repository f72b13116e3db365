"""Consistent copies of the live database."""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path


def backup_database(url, dest):
    """SQLite: the online backup API, safe beside running writers. PostgreSQL: pg_dump."""
    dest = Path(dest)
    if dest.exists():
        raise RuntimeError(f"{dest} exists; choose a new file name")
    if url.startswith("sqlite:///"):
        source_path = url[len("sqlite:///") :]
        if not Path(source_path).exists():
            raise RuntimeError(f"no database at {source_path}")
        partial = dest.with_name(dest.name + ".partial")
        source = sqlite3.connect(source_path, timeout=30)
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        os.replace(partial, dest)  # a half-written copy never carries the final name
        return dest
    if shutil.which("pg_dump") is None:
        raise RuntimeError("pg_dump is not installed")
    try:
        with open(dest, "wb") as out:
            subprocess.run(["pg_dump", "--format=custom", url], stdout=out, stderr=subprocess.PIPE, check=True)
    except subprocess.CalledProcessError as exc:
        dest.unlink(missing_ok=True)
        raise RuntimeError(f"pg_dump failed: {exc.stderr.decode(errors='replace').strip()}") from None
    return dest
