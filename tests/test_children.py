"""Registering and editing children: the ID rules, school age, duplicates, scope, audit."""

import re
from datetime import date

import pytest
from conftest import TODAY, born_aged, csrf_token, login, valid_id
from county import build_county

from dropout import clock
from dropout.children import records as children
from dropout.core.errors import ValidationError
from dropout.db import database
from dropout.models import AuditLog, Child, Guardian


def form_data(county, **overrides):
    data = {
        "name": "陈小明",
        "sex": "",
        "id_number": valid_id(date(2016, 2, 29), "M"),
        "birth_on": "",
        "ethnicity": "汉族",
        "village": county.home_village.id,
        "group": "3组",
        "address": "东街12号",
        "school": county.home_school.id,
        "grade": "5",
        "status": "enrolled",
        "guardians": [{"name": "陈大海", "relation": "父亲", "phone": "13812345678", "id_number": ""}],
    }
    data.update(overrides)
    return data


def wrong_check_char(number):
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def counts():
    return Child.select().count(), Guardian.select().count(), AuditLog.select().count()


@pytest.fixture
def county(app):
    return build_county()


def test_birth_date_and_sex_come_from_the_id_number(db, county):
    child = children.save_child(county.users["township"], form_data(county), today=TODAY)
    assert child.birth_on == date(2016, 2, 29)
    assert child.sex == "M"
    assert [g.name for g in child.guardians] == ["陈大海"]


def test_full_width_and_lower_case_id_numbers_are_normalised(db, county):
    number = valid_id(date(2014, 7, 1), "F")
    typed = " ".join(number).translate(str.maketrans("0123456789X", "０１２３４５６７８９ｘ"))
    child = children.save_child(county.users["admin"], form_data(county, id_number=typed), today=TODAY)
    assert child.id_number == number


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"id_number": "11010519491231002"}, "id_number", "18位"),
        ({"id_number": wrong_check_char(valid_id(date(2016, 2, 29)))}, "id_number", "校验位"),
        ({"birth_on": "2016-03-01"}, "birth_on", "不一致"),
        ({"sex": "F"}, "sex", "不一致"),
        ({"id_number": "", "birth_on": ""}, "birth_on", "无身份证号时必填"),
        ({"id_number": "", "birth_on": "2027-01-01"}, "birth_on", "晚于今天"),
        ({"id_number": "", "birth_on": "2021-03-01"}, "birth_on", "不在义务教育适龄范围"),
        ({"id_number": "", "birth_on": "2010-08-31"}, "birth_on", "不在义务教育适龄范围"),
        ({"id_number": "", "birth_on": "31/08/2015"}, "birth_on", "日期格式不对"),
        ({"village": 9999}, "village", "没有这个村"),
        ({"village": ""}, "village", "请选择村"),
        ({"school": 9999}, "school", "没有这所学校"),
        ({"grade": "10"}, "grade", "1到9之间"),
        ({"name": "  "}, "name", "请填写姓名"),
        ({"status": "gone"}, "status", "没有这个状态"),
        ({"disability_grade": "2"}, "disability_grade", "请先选择残疾类别"),
        ({"guardians": [{"name": "", "phone": "138"}]}, "guardians-0-name", "请填写监护人姓名"),
        ({"guardians": [{"name": "某", "id_number": "123"}]}, "guardians-0-id_number", "18位"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(db, county, overrides, field, message):
    before = counts()
    with pytest.raises(ValidationError) as caught:
        children.save_child(county.users["admin"], form_data(county, **overrides), today=TODAY)
    assert message in caught.value.errors[field]
    assert counts() == before


def test_a_child_without_id_number_is_allowed_with_a_birth_date(db, county):
    child = children.save_child(
        county.users["village"], form_data(county, id_number="", birth_on="2015年9月1日", sex="F"), today=TODAY
    )
    assert child.id_number is None
    assert child.birth_on == date(2015, 9, 1)


def test_duplicate_in_scope_names_the_existing_child(db, county):
    user = county.users["township"]
    with pytest.raises(ValidationError) as caught:
        children.save_child(user, form_data(county, id_number=county.own.id_number, name="重复"), today=clock.today())
    assert county.own.name in caught.value.errors["id_number"]


def test_duplicate_outside_scope_says_only_already_registered(db, county):
    user = county.users["township"]
    with pytest.raises(ValidationError) as caught:
        children.save_child(user, form_data(county, id_number=county.other.id_number), today=clock.today())
    message = caught.value.errors["id_number"]
    assert message == "此身份证号已登记。"
    assert county.other.name not in message


def test_registering_into_another_area_is_refused(db, county):
    other_village = county.other.village_id
    before = counts()
    with pytest.raises(ValidationError) as caught:
        children.save_child(county.users["village"], form_data(county, village=other_village, school=""), today=TODAY)
    assert "不在您的管辖范围内" in caught.value.errors["village"]
    assert counts() == before


def test_an_edit_is_audited_with_before_and_after(db, county):
    user = county.users["admin"]
    child = children.save_child(user, form_data(county), today=TODAY)
    father = child.guardians.get()
    data = form_data(
        county,
        status="dropped_out",
        guardians=[
            {"id": father.id, "name": "陈大海", "relation": "父亲", "phone": "13912345678"},
            {"name": "王芳", "relation": "母亲"},
        ],
    )
    children.save_child(user, data, child, today=TODAY)
    entries = list(AuditLog.select().where(AuditLog.child_id == child.id).order_by(AuditLog.id))
    assert [(e.action, e.entity) for e in entries] == [
        ("create", "guardian"),
        ("create", "child"),
        ("update", "guardian"),
        ("create", "guardian"),
        ("update", "child"),
    ]
    assert '"status": "enrolled"' in entries[-1].before
    assert '"status": "dropped_out"' in entries[-1].after
    assert entries[-1].username == "admin"
    assert '"phone": "13912345678"' in entries[2].after and entries[2].entity_id == father.id


def test_guardians_are_matched_by_id_and_a_blanked_row_removes_one(db, county):
    user = county.users["admin"]
    two = [{"name": "父", "relation": "父亲"}, {"name": "母", "relation": "母亲"}]
    child = children.save_child(user, form_data(county, guardians=two), today=TODAY)
    father, mother = child.guardians.order_by(Guardian.id)
    rows = [{"id": father.id, "name": ""}, {"id": mother.id, "name": "母", "relation": "母亲", "phone": "13700000000"}]
    children.save_child(user, form_data(county, guardians=rows), child, today=TODAY)
    kept = list(child.guardians)
    assert [(g.id, g.name, g.phone) for g in kept] == [(mother.id, "母", "13700000000")]
    removed = AuditLog.get((AuditLog.entity == "guardian") & (AuditLog.action == "delete"))
    assert removed.entity_id == father.id and '"name": "父"' in removed.before


def test_without_a_guardians_key_the_guardians_stay(db, county):
    user = county.users["admin"]
    child = children.save_child(user, form_data(county), today=TODAY)
    data = form_data(county, status="dropped_out")
    del data["guardians"]
    children.save_child(user, data, child, today=TODAY)
    assert [g.name for g in child.guardians] == ["陈大海"]


def test_township_staff_assign_and_clear_the_responsible_teacher(db, county):
    user, teacher = county.users["township"], county.users["teacher"]
    child = children.save_child(user, form_data(county, responsible_teacher=teacher.id), today=TODAY)
    assert child.responsible_teacher_id == teacher.id
    child = children.save_child(user, form_data(county, responsible_teacher=""), child, today=TODAY)
    assert child.responsible_teacher_id is None


def test_only_admin_and_township_staff_assign_teachers(db, county):
    teacher = county.users["teacher"]
    child = children.save_child(county.users["village"], form_data(county, responsible_teacher=teacher.id), today=TODAY)
    assert child.responsible_teacher_id is None


def test_the_audit_trail_cannot_be_edited_or_deleted(db, county):
    children.save_child(county.users["admin"], form_data(county), today=TODAY)
    with pytest.raises(Exception, match="append-only"):
        AuditLog.update(username="someone").execute()
    with pytest.raises(Exception, match="append-only"):
        AuditLog.delete().execute()


def test_bureau_cannot_register(db, county):
    from dropout.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        children.save_child(county.users["bureau"], form_data(county), today=TODAY)


# --- through the pages -------------------------------------------------------------


def post_form(client, url, county, **overrides):
    overrides.setdefault("id_number", valid_id(born_aged(10), "M"))
    data = form_data(county, **overrides)
    fields = {k: v for k, v in data.items() if k != "guardians"}
    for i, g in enumerate(data["guardians"]):
        for key, value in g.items():
            fields[f"guardians-{i}-{key}"] = value
    fields["csrf_token"] = csrf_token(client, "/children/new")
    return client.post(url, data=fields)


def test_the_form_is_labelled_in_chinese(client, county):
    login(client, county.users["township"])
    page = client.get("/children/new").get_data(as_text=True)
    for label in "姓名 性别 身份证号 出生日期 民族 村民小组 家庭住址 学校 年级 学籍号 监护人姓名".split():
        assert f">{label}</label>" in page, label


def test_the_form_has_its_fields_in_order(app):
    from dropout.forms import ChildForm

    with app.test_request_context("/"):
        form = ChildForm(meta={"csrf": False})
        assert [field.name for field in form] == [
            "name",
            "sex",
            "id_number",
            "birth_on",
            "ethnicity",
            "village",
            "group",
            "address",
            "school",
            "grade",
            "student_number",
            "status",
            "is_poor",
            "is_left_behind",
            "is_migrant",
            "is_orphan",
            "disability_category",
            "disability_grade",
            "responsible_teacher",
            "notes",
            "registered_on",
            "changed_on",
            "guardians",
        ]
        assert [type(field).__name__ for field in form][:21] == [
            "StringField",
            "SelectField",
            "StringField",
            "DayField",
            "StringField",
            "SelectField",
            "StringField",
            "StringField",
            "SelectField",
            "SelectField",
            "StringField",
            "SelectField",
            "BooleanField",
            "BooleanField",
            "BooleanField",
            "BooleanField",
            "SelectField",
            "SelectField",
            "SelectField",
            "TextAreaField",
            "DayField",
        ]
        assert form.ethnicity.data == "汉族"
        assert [field.short_name for field in form.guardians.entries[0].form] == [
            "id",
            "name",
            "relation",
            "phone",
            "id_number",
        ]


def test_a_broken_id_is_shown_beside_its_field(client, county):
    login(client, county.users["township"])
    response = post_form(client, "/children/new", county, id_number="110105194912310021")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="id_number"[^>]*>\s*<p class="error">身份证号校验位不正确', page)
    with database.connection_context():
        assert Child.select().count() == 3


def test_posting_without_csrf_token_is_refused(client, county):
    login(client, county.users["township"])
    response = client.post("/children/new", data={"name": "无令牌", "village": county.home_village.id})
    assert response.status_code == 400
    with database.connection_context():
        assert not Child.select().where(Child.name == "无令牌").exists()


def test_create_then_see_the_id_masked_on_the_page_and_in_the_list(client, county):
    login(client, county.users["teacher"])
    response = post_form(client, "/children/new", county)
    assert response.status_code == 302
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    with database.connection_context():
        number = Child.get(Child.name == "陈小明").id_number
    assert number not in detail  # a teacher never sees it whole (tests/test_id_numbers.py)
    assert number[:4] + "*" * 10 + number[-4:] in detail
    assert "新建 儿童" in detail  # the timeline
    listing = client.get("/children/?q=陈小明").get_data(as_text=True)
    assert number not in listing
    assert number[:4] + "*" * 10 + number[-4:] in listing


def test_children_without_id_are_flagged_in_the_list(client, county, make_child):
    make_child(village=county.home_village, with_id=False, name="无证儿童")
    login(client, county.users["village"])
    listing = client.get("/children/?group=no_id").get_data(as_text=True)
    assert "无证儿童" in listing and "无身份证号" in listing
    assert county.own.name not in listing


@pytest.mark.parametrize(
    "query, expected",
    [
        ("q=李小", {"李小红"}),
        ("q={own_id}", {"李小红"}),
        ("q={own_prefix}", {"李小红", "王小芳", "赵小燕"}),
        ("status=dropped_out", {"辍学儿童"}),
        ("status=out_of_school", {"辍学儿童", "疑似儿童"}),
        ("stage=junior", {"初中儿童", "辍学儿童", "疑似儿童"}),
        ("stage=primary", {"李小红", "王小芳", "赵小燕"}),
        ("min_age=13", {"初中儿童", "辍学儿童"}),
        ("max_age=12", {"李小红", "王小芳", "赵小燕", "疑似儿童"}),
        ("group=poor", {"初中儿童"}),
        ("township={t2}", {"王小芳", "赵小燕"}),
    ],
)
def test_filters_and_search(client, county, make_child, query, expected):
    make_child(
        village=county.home_village,
        name="初中儿童",
        birth_on=born_aged(14, 1, 5),
        is_poor=True,
        school=county.home_school,
        grade=8,
    )
    make_child(village=county.home_village, name="辍学儿童", birth_on=born_aged(14, 3, 5), status="dropped_out")
    make_child(village=county.home_village, name="疑似儿童", birth_on=born_aged(12, 6, 1), status="suspected")
    login(client, county.users["admin"])
    url = "/children/?" + query.format(
        own_id=county.own.id_number, own_prefix=county.own.id_number[:14], t2=county.other.village.township_id
    )
    page = client.get(url).get_data(as_text=True)
    names = {"李小红", "王小芳", "赵小燕", "初中儿童", "辍学儿童", "疑似儿童"}
    assert {name for name in names if f">{name}</a>" in page} == expected


def test_the_timeline_names_places_not_ids(app, client, county):
    login(client, county.users["admin"])
    with app.test_request_context(), database.connection_context():
        moved = form_data(county, name=county.own.name, id_number=county.own.id_number, school="", grade="")
        children.save_child(county.users["admin"], moved, county.own)
    page = client.get(f"/children/{county.own.id}").get_data(as_text=True)
    assert "学校: 城关镇中心小学 → —" in page


def test_a_teacher_editing_an_assigned_child_keeps_its_school(client, county):
    login(client, county.users["teacher"])
    page = client.get(f"/children/{county.assigned.id}/edit").get_data(as_text=True)
    assert re.search(rf'<option selected value="{county.assigned.school_id}">白马乡中心小学</option>', page)


@pytest.mark.parametrize(
    "url, status",
    [
        ("/children/?village=²&school=9999999999&min_age=99999&max_age=-1&page=99999999999999999999", 200),
        ("/children/?endpoint=x&_external=1&_anchor=y&q=" + "长" * 500, 200),
        ("/children/99999999999999999999", 404),
        ("/children/0", 404),
        ("/places/village/99999999999/edit", 404),
    ],
)
def test_garbage_in_the_url_is_answered_calmly(client, county, url, status):
    login(client, county.users["admin"])
    assert client.get(url).status_code == status


@pytest.mark.parametrize("role, total", [("admin", 3), ("bureau", 3), ("township", 1), ("teacher", 2), ("village", 1)])
def test_the_home_page_counts_the_users_own_children(client, county, role, total):
    login(client, county.users[role])
    page = client.get("/").get_data(as_text=True)
    assert re.search(rf"<strong>{total}</strong>辖区内适龄儿童", page)


def test_the_start_age_setting_moves_the_school_age_band(db, county):
    six = {"id_number": "", "birth_on": "2020-08-31", "sex": "M"}  # six on 31 August 2026
    with pytest.raises(ValidationError):
        children.save_child(county.users["admin"], form_data(county, **six), today=TODAY, start_age=7)
    child = children.save_child(county.users["admin"], form_data(county, **six), today=TODAY, start_age=6)
    assert child.birth_on == date(2020, 8, 31)
