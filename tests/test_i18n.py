"""Simplified Chinese by default, English on request, and no interface string left untranslated."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from conftest import login

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "dropout" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
METHODS = [("dropout/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}


def catalogue():
    with CATALOGUE.open("rb") as file:
        return read_po(file)


def source_messages():
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_interface_string_has_a_chinese_translation():
    translated = {m.id: m for m in catalogue() if m.id}
    missing = sorted(m for m in source_messages() if m not in translated or not translated[m].string)
    fuzzy = sorted(m.id for m in translated.values() if m.fuzzy)
    assert missing == [], "run ./scripts/translations and translate: " + "; ".join(missing)
    assert fuzzy == []


def test_the_catalogue_has_the_same_placeholders_as_the_source():
    for message in catalogue():
        if message.id:
            assert sorted(re.findall(r"%\(\w+\)\w", message.id)) == sorted(re.findall(r"%\(\w+\)\w", message.string)), (
                message.id
            )


def test_pages_are_chinese_by_default_and_english_on_request(client, make_user):
    login(client, make_user("admin"))
    page = client.get("/children/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "儿童名册" in page
    client.get("/lang/en?next=/children/")
    page = client.get("/children/").get_data(as_text=True)
    assert '<html lang="en">' in page and ">Children <" in page and "儿童名册" not in page
    client.get("/lang/zh_CN")
    assert "儿童名册" in client.get("/children/").get_data(as_text=True)


def test_an_unknown_language_is_ignored(client):
    client.get("/lang/xx")
    assert "用户名" in client.get("/login").get_data(as_text=True)
