"""Operator commands: init-db, create-user, backup."""

import sqlite3
import subprocess

from conftest import on_postgres

from dropout.db import database
from dropout.models import Child, User


def test_init_db_makes_the_secret_key_once(app, runner, tmp_path):
    app.instance_path = str(tmp_path / "instance")
    assert runner.invoke(args=["init-db"]).exit_code == 0
    key_file = tmp_path / "instance" / "secret_key"
    key = key_file.read_text()
    assert len(key) == 64
    assert runner.invoke(args=["init-db"]).exit_code == 0
    assert key_file.read_text() == key
    assert oct(key_file.stat().st_mode)[-3:] == "600"


def test_create_user_reads_the_password_from_stdin(app, runner, make_township):
    make_township("城关镇")
    result = runner.invoke(
        args=["create-user", "zhang", "--role", "township", "--township", "城关镇"], input="a good password\n"
    )
    assert result.exit_code == 0, result.output
    with database.connection_context():
        user = User.get(User.username == "zhang")
    assert user.township.name == "城关镇"
    assert "a good password" not in result.output


def test_create_user_refuses_an_unknown_place_and_a_short_password(app, runner):
    result = runner.invoke(
        args=["create-user", "li", "--role", "village", "--village", "没有的村"], input="long enough pw\n"
    )
    assert result.exit_code == 1
    assert "没有这个村（社区）：没有的村" in result.output
    result = runner.invoke(args=["create-user", "li", "--role", "admin"], input="short\n")
    assert result.exit_code == 1
    assert "至少需要 10 个字符" in result.output
    with database.connection_context():
        assert not User.select().where(User.username == "li").exists()


def test_backup_is_a_working_copy(app, runner, make_child, tmp_path):
    for _ in range(3):
        make_child()
    dest = tmp_path / "copy.db"
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 0, result.output
    if on_postgres():
        script = subprocess.run(
            ["pg_restore", "--data-only", "--table=child", "--file=-", str(dest)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rows = script.split("COPY public.child", 1)[1].split("\\.", 1)[0].strip().splitlines()[1:]
        assert len(rows) == 3
        return
    copy = sqlite3.connect(dest)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("SELECT COUNT(*) FROM child").fetchone() == (3,)
    copy.close()
    with database.connection_context():
        assert Child.select().count() == 3


def test_backup_refuses_to_overwrite(app, runner, tmp_path):
    dest = tmp_path / "exists.db"
    dest.write_text("keep me")
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 1
    assert dest.read_text() == "keep me"
