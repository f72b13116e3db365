"""Every route, walked with every role: scope holds, and a child outside it answers 404."""
import pytest

from conftest import csrf_token, login
from county import ROLES, build_county

EVERYONE = dict.fromkeys(ROLES, 200)
SCOPED = ("township", "teacher", "village")


def by_role(default, **overrides):
    return {role: overrides.get(role, default) for role in ROLES}


# (endpoint, method, target) -> expected status per role. target: the child the URL names.
EXPECTED = {
    ("home.index", "GET", None): EVERYONE,
    ("children.index", "GET", None): EVERYONE,
    ("children.create", "GET", None): by_role(200, bureau=403),
    ("children.detail", "GET", "own"): EVERYONE,
    ("children.detail", "GET", "other"): by_role(404, admin=200, bureau=200),
    ("children.detail", "GET", "assigned"): by_role(404, admin=200, bureau=200, teacher=200),
    ("children.edit", "GET", "own"): by_role(200, bureau=403),
    ("children.edit", "GET", "other"): by_role(404, admin=200, bureau=403),
    ("children.delete", "POST", "own"): by_role(403, admin=302),
    ("children.delete", "POST", "other"): by_role(404, admin=302, bureau=403),
    ("places.index", "GET", None): by_role(403, admin=200, bureau=200),
    ("places.edit", "GET", None): by_role(403, admin=200),
    ("places.delete", "POST", None): by_role(403, admin=302),
    ("accounts.index", "GET", None): by_role(403, admin=200),
    ("accounts.create", "GET", None): by_role(403, admin=200),
    ("accounts.toggle", "POST", None): by_role(403, admin=302),
    ("auth.login", "GET", None): EVERYONE,
    ("auth.logout", "POST", None): dict.fromkeys(ROLES, 302),
    ("auth.language", "GET", None): dict.fromkeys(ROLES, 302),
    ("static", "GET", None): EVERYONE,
}
PUBLIC = {"auth.login", "auth.language", "static"}


def _url(app, county, endpoint, target):
    from flask import url_for

    args = {}
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    if "child_id" in rule.arguments:
        args["child_id"] = getattr(county, target).id
    if "kind" in rule.arguments:
        args["kind"] = "village"
    if "place_id" in rule.arguments:
        args["place_id"] = county.home_village.id
    if "user_id" in rule.arguments:
        args["user_id"] = county.users["village"].id
    if "code" in rule.arguments:
        args["code"] = "en"
    if "filename" in rule.arguments:
        args["filename"] = "style.css"
    with app.test_request_context():
        return url_for(endpoint, **args)


def test_every_route_has_an_expectation(app):
    """A new route must be added to the table above, so the walk covers it."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == {endpoint for endpoint, _, _ in EXPECTED}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint, method, target", list(EXPECTED))
def test_route_answers_each_role_as_expected(app, client, role, endpoint, method, target):
    county = build_county()
    login(client, county.users[role])
    url = _url(app, county, endpoint, target)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client, "/"), "reason": "test"})
    response.close()
    assert response.status_code == EXPECTED[(endpoint, method, target)][role], url


@pytest.mark.parametrize("endpoint, method, target", [key for key in EXPECTED if key[0] not in PUBLIC])
def test_anonymous_visitors_are_sent_to_login(app, client, endpoint, method, target):
    county = build_county()
    url = _url(app, county, endpoint, target)
    response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", SCOPED)
def test_lists_show_exactly_the_scope(app, client, role):
    county = build_county()
    login(client, county.users[role])
    page = client.get("/children/").get_data(as_text=True)
    assert county.own.name in page
    assert (county.other.name in page) is False
    assert (county.assigned.name in page) is (role == "teacher")


def test_a_teacher_typing_another_schools_child_url_changes_nothing(app, client):
    county = build_county()
    login(client, county.users["teacher"])
    token = csrf_token(client, "/children/new")
    response = client.post(f"/children/{county.other.id}/edit", data={"csrf_token": token, "name": "改名"})
    assert response.status_code == 404
    with app.app_context():
        from dropout.db import database
        from dropout.models import Child

        with database.connection_context():
            assert Child.get_by_id(county.other.id).name == "王小芳"
