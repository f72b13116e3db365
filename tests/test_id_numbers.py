"""ID numbers by need: masked on the child's page for everyone, full on an audited request by the roles that may
export them; teachers and village cadres never see them whole."""

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from conftest import csrf_token, login, valid_id
from county import ROLES, build_county

from dropout.children import records as children
from dropout.core.errors import PermissionDenied
from dropout.db import database
from dropout.models import AuditLog, Child, Guardian
from dropout.rules.id_number import mask

REVEALING = ("admin", "bureau", "township")
MASKED_ONLY = ("teacher", "village")
BUTTON = "显示完整号码"


@pytest.fixture
def county(app):
    county = build_county()
    with database.connection_context():
        guardian = Guardian.get(Guardian.child == county.own.id)
        guardian.id_number = valid_id(date(1988, 6, 1), "F")
        guardian.save()
        # A change of the ID number, as the child's history shows it.
        children.audit.record(
            county.users["admin"],
            "update",
            "child",
            county.own.id,
            child_id=county.own.id,
            before={"id_number": "513401201503140011"},
            after={"id_number": county.own.id_number},
        )
    county.guardian_number = guardian.id_number
    return county


def numbers(county):
    return county.own.id_number, county.guardian_number, "513401201503140011"


def reveals(role):
    with database.connection_context():
        return list(AuditLog.select().where((AuditLog.action == "reveal_id") & (AuditLog.username.startswith(role))))


@pytest.mark.parametrize("role", ROLES)
def test_the_child_page_shows_id_numbers_masked_to_every_role(client, county, role):
    with database.connection_context():  # a 全国学籍号 is G followed by the ID number: masked with it
        Child.update(student_number="G" + county.own.id_number).where(Child.id == county.own.id).execute()
    login(client, county.users[role])
    page = client.get(f"/children/{county.own.id}").get_data(as_text=True)
    for number in numbers(county):
        assert number not in page  # neither the child's, nor the guardian's, nor one in the history
        assert mask(number) in page
    assert (BUTTON in page) is (role in REVEALING)
    assert not reveals(role)  # reading the masked page is not recorded


@pytest.mark.parametrize("role", REVEALING)
def test_the_roles_that_may_export_full_numbers_see_them_on_request_audited(client, county, role):
    login(client, county.users[role])
    response = client.post(f"/children/{county.own.id}/id-numbers", data={"csrf_token": csrf_token(client, "/")})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    for number in numbers(county):
        assert number in page
    assert BUTTON not in page and "此次查看已记入审计日志" in page
    [entry] = reveals(role)
    assert (entry.entity, entry.entity_id, entry.child_id) == ("child", county.own.id, county.own.id)
    assert entry.user_id == county.users[role].id
    assert "查看完整身份证号 儿童" in page  # the child's history names who saw the numbers
    # For that one response only: the page read again is masked.
    again = client.get(f"/children/{county.own.id}").get_data(as_text=True)
    assert county.own.id_number not in again and county.guardian_number not in again
    assert len(reveals(role)) == 1


@pytest.mark.parametrize("role", MASKED_ONLY)
def test_teachers_and_village_cadres_are_refused_full_numbers(client, county, role):
    login(client, county.users[role])
    response = client.post(f"/children/{county.own.id}/id-numbers", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 403
    assert county.own.id_number not in response.get_data(as_text=True)
    assert not reveals(role)
    with database.connection_context(), pytest.raises(PermissionDenied):
        children.reveal_id_numbers(county.users[role], Child.get_by_id(county.own.id))


def test_a_child_outside_the_scope_is_not_found(client, county):
    login(client, county.users["township"])
    response = client.post(f"/children/{county.other.id}/id-numbers", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 404
    assert not reveals("township")


def test_the_reveal_needs_a_csrf_token(client, county):
    login(client, county.users["admin"])
    response = client.post(f"/children/{county.own.id}/id-numbers")
    assert response.status_code == 400
    assert county.own.id_number not in response.get_data(as_text=True)
    assert not reveals("admin")


def test_no_button_when_there_is_no_number_to_show(client, county, make_child):
    child = make_child(village=county.home_village, with_id=False)
    login(client, county.users["admin"])
    page = client.get(f"/children/{child.id}").get_data(as_text=True)
    assert "无身份证号" in page and BUTTON not in page


def test_the_button_posts_with_its_token(client, county):
    login(client, county.users["township"])
    page = client.get(f"/children/{county.own.id}").get_data(as_text=True)
    form = re.search(
        rf'<form method="post" action="/children/{county.own.id}/id-numbers">(.*?)</form>', page, re.DOTALL
    )
    assert form and 'name="csrf_token"' in form.group(1) and BUTTON in form.group(1)


# --- the edit form -----------------------------------------------------------


class FormValues(HTMLParser):
    """The values a browser would send from a page's form: inputs, selected options, textareas."""

    def __init__(self, page):
        super().__init__()
        self.values, self._select, self._textarea = {}, None, None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "checkbox"):
            self.values[attrs["name"]] = attrs.get("value") or ""
        elif tag == "input" and attrs.get("type") == "checkbox" and "checked" in attrs:
            self.values[attrs["name"]] = attrs.get("value") or "y"
        elif tag == "select":
            self._select = attrs.get("name")
            self.values.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = attrs.get("name")
            self.values[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def edit_page(client, county):
    page = client.get(f"/children/{county.own.id}/edit").get_data(as_text=True)
    return page, FormValues(page).values


def stored(county):
    with database.connection_context():
        child = Child.get_by_id(county.own.id)
        return child.id_number, [g.id_number for g in child.guardians], child.name


@pytest.mark.parametrize("role", MASKED_ONLY)
def test_teachers_and_village_cadres_see_the_edit_form_masked_and_keep_the_numbers(client, county, role):
    login(client, county.users[role])
    page, values = edit_page(client, county)
    assert county.own.id_number not in page and county.guardian_number not in page
    assert values["id_number"] == mask(county.own.id_number)
    assert values["guardians-0-id_number"] == mask(county.guardian_number)
    assert "身份证号以掩码显示" in page
    response = client.post(f"/children/{county.own.id}/edit", data={**values, "name": "李小红改"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert stored(county) == (county.own.id_number, [county.guardian_number], "李小红改")


def test_a_refused_edit_shows_the_numbers_masked_again(client, county):
    login(client, county.users["teacher"])
    _page, values = edit_page(client, county)
    response = client.post(f"/children/{county.own.id}/edit", data={**values, "name": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert county.own.id_number not in page and county.guardian_number not in page
    assert FormValues(page).values["id_number"] == mask(county.own.id_number)


def test_a_teacher_may_still_type_a_whole_new_number(client, county):
    login(client, county.users["village"])
    _page, values = edit_page(client, county)
    new_guardian = valid_id(date(1985, 1, 2), "M")
    response = client.post(f"/children/{county.own.id}/edit", data={**values, "guardians-0-id_number": new_guardian})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert stored(county)[:2] == (county.own.id_number, [new_guardian])
    # A masked number changed by hand is no number: refused beside its field, nothing written.
    _page, values = edit_page(client, county)
    broken = values["id_number"].replace("*", "1", 1)
    response = client.post(f"/children/{county.own.id}/edit", data={**values, "id_number": broken})
    assert response.status_code == 422
    assert stored(county)[0] == county.own.id_number


def test_township_staff_edit_the_full_numbers(client, county):
    login(client, county.users["township"])
    _page, values = edit_page(client, county)
    assert values["id_number"] == county.own.id_number
    assert values["guardians-0-id_number"] == county.guardian_number
