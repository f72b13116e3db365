"""The register's search, its lists read a page at a time, and the home page's counts: each through an index, so
none of them grows with the county, and each gives what a plain reading of every row would."""

from datetime import date, datetime, timedelta

import pytest
from conftest import TODAY, on_postgres
from county import build_county

from dropout.casework import search as case_search
from dropout.children import counts
from dropout.children import search as child_search
from dropout.core import paging, scope
from dropout.db import database
from dropout.models import Child, DropoutCase


@pytest.fixture
def county(app):
    return build_county()


def found(user, q):
    with database.connection_context():
        return {c.name for c in child_search.search(user, child_search.Filters(q=q), TODAY)}


@pytest.fixture
def named(county, make_child):
    """Children named so that prefixes, initials and ID endings tell them apart."""
    kids = {
        name: make_child(village=county.home_village, school=county.home_school, name=name, birth_on=born)
        for name, born in (("王梓明", date(2015, 3, 14)), ("王梓涵", date(2014, 6, 2)), ("李梓明", date(2016, 1, 9)))
    }
    with database.connection_context():
        return {name: Child.get_by_id(child.id) for name, child in kids.items()}


def ending_with(user, suffix):
    with database.connection_context():
        return {c.name for c in scope.children(user) if (c.id_number or "").endswith(suffix)}


@pytest.mark.parametrize(
    "q, expected",
    [
        ("王梓", {"王梓明", "王梓涵"}),
        ("王梓明", {"王梓明"}),
        ("wzm", {"王梓明"}),
        ("WZ", {"王梓明", "王梓涵"}),
        ("lzm", {"李梓明"}),
        ("梓明", set()),  # a part in the middle of a name: given up, it would read every child
        ("zzzz", set()),
        ("不存在", set()),
    ],
)
def test_a_name_is_found_by_its_beginning_or_its_pinyin_initials(county, named, q, expected):
    assert found(county.users["admin"], q) == expected


@pytest.mark.parametrize("digits", [4, 5, 6])
def test_an_id_number_is_found_by_its_last_digits(county, named, digits):
    admin = county.users["admin"]
    suffix = named["王梓涵"].id_number[-digits:]
    assert "王梓涵" in found(admin, suffix)
    assert found(admin, suffix) == ending_with(admin, suffix)
    assert found(admin, suffix.lower()) == ending_with(admin, suffix)  # a lower-case x reads as X


def test_an_id_number_is_found_whole_and_a_student_number_exactly(county, named):
    admin = county.users["admin"]
    child = named["李梓明"]
    assert found(admin, child.id_number) == {"李梓明"}
    assert found(admin, " " + child.id_number.lower() + " ") == {"李梓明"}
    with database.connection_context():
        Child.update(student_number="G2016010912").where(Child.id == child.id).execute()
    assert found(admin, "G2016010912") == {"李梓明"}
    assert found(admin, "G20160109") == set()  # a student number only whole


def test_a_township_never_finds_another_townships_child_by_its_id_ending(county):
    suffix = county.other.id_number[-4:]
    assert "王小芳" in found(county.users["admin"], suffix)
    assert "王小芳" not in found(county.users["township"], suffix)
    assert "王小芳" not in found(county.users["village"], county.other.id_number)
    assert found(county.users["township"], "wxf") == set()  # 王小芳 by initials, from outside


@pytest.mark.skipif(on_postgres(), reason="SQLite's query plan (PostgreSQL's is checked by hand, see the README)")
@pytest.mark.parametrize(
    "q, index",
    [
        ("王梓", "child_name"),
        ("wzm", "child_name_initials"),
        ("1234", "child_id_reversed"),
        ("12345X", "child_id_reversed"),
    ],
)
@pytest.mark.parametrize("role", ["admin", "township", "teacher"])
def test_every_search_reads_an_index_not_every_child(county, q, index, role):
    with database.connection_context():
        query = child_search.search(county.users[role], child_search.Filters(q=q), TODAY)
        sql, params = query.sql()
        plan = [row[-1] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]
    assert any(f"USING INDEX {index} (" in line for line in plan), plan
    assert not any(line.startswith(("SCAN t1", "SCAN child")) for line in plan), plan


@pytest.fixture
def crowd(county, make_child, make_village):
    """Children in both townships, with township 1's school also teaching pupils from township 2."""
    far = make_village(township=county.other.village.township)
    with database.connection_context():
        home = county.home_village
    names = "张王李赵陈刘杨黄周吴"
    for i in range(23):
        village = (home, far, county.other.village)[i % 3]
        school = county.home_school if i % 2 else None
        make_child(
            village=village,
            school=school,
            name=names[i % 10] + "小" + str(i % 4),
            status=("enrolled", "dropped_out")[i % 5 == 0],
        )
    return county


def walk(queries, order, per_page, descending=False):
    """Every row of a list, following its next links from the first page, and its previous links back from the last."""
    forward, key = [], None
    for _ in range(500):  # a cursor that leads nowhere fails here instead of looping
        page = paging.page(queries, order, per_page, after=key, descending=descending, count=False)
        forward += [row.id for row in page.rows]
        assert len(page.rows) <= per_page
        if page.next_key is None:
            break
        key = page.next_key
    backward, page = [], paging.page(queries, order, per_page, last=True, descending=descending, count=False)
    for _ in range(500):
        backward = [row.id for row in page.rows] + backward
        if page.previous_key is None:
            break
        page = paging.page(queries, order, per_page, before=page.previous_key, descending=descending, count=False)
    return forward, backward


@pytest.mark.parametrize("role", ["admin", "township", "teacher", "village"])
@pytest.mark.parametrize("args", [{}, {"status": "dropped_out"}, {"q": "王"}, {"township": "T2"}, {"school": "S1"}])
def test_the_children_list_pages_walk_every_child_once_in_order(crowd, role, args):
    user = crowd.users[role]
    with database.connection_context():
        values = {
            k: {"T2": str(crowd.other.village.township_id), "S1": str(crowd.home_school.id)}.get(v, v)
            for k, v in args.items()
        }
        filters = child_search.Filters.from_args(values)
        expected = [c.id for c in child_search.search(user, filters, TODAY)]  # one query, sorted by the database
        parts = child_search.search_parts(user, filters, TODAY)
        for per_page in (1, 4, 50):
            forward, backward = walk(parts, child_search.ORDER, per_page)
            assert forward == backward == expected
        assert paging.count_capped(parts) == (len(expected), False)
        assert paging.count_capped(parts, cap=3) == (min(len(expected), 3), len(expected) > 3)


@pytest.fixture
def crowd_cases(crowd):
    """A case for each child of the crowd, several updated at the same moment (ties broken by id)."""
    start = datetime(2026, 3, 1, 8, 0, 0, 250000)
    with database.connection_context():
        for i, child in enumerate(Child.select().order_by(Child.id)):
            DropoutCase.create(
                child=child,
                absent_since=TODAY,
                opened_on=TODAY,
                status=("dropped_out", "persuading")[i % 2],
                updated_at=start + timedelta(minutes=i // 3, microseconds=i % 2),
            )
    return crowd


def test_the_cases_list_pages_walk_every_case_once_newest_first(crowd_cases):
    crowd = crowd_cases
    with database.connection_context():
        for role in ("admin", "township", "village"):
            for filters in (case_search.CaseFilters(), case_search.CaseFilters(status="persuading")):
                query = case_search.search(crowd.users[role], filters, TODAY)
                expected = [c.id for c in query]
                forward, backward = walk(query, case_search.ORDER, 4, descending=True)
                assert forward == backward == expected and expected


def jumps(queries, order, descending=False, cap=paging.COUNT_CAP):
    """For page sizes 1 to 5: the rows of each page jumped to (page=N), the page's number and the pages counted."""
    found = {}
    for per_page in range(1, 6):
        first = paging.page(queries, order, per_page, descending=descending, cap=cap)
        for number in range(1, first.reachable + 1):
            page = paging.page(queries, order, per_page, number=number, descending=descending, cap=cap)
            found[per_page, number] = ([row.id for row in page.rows], page.number, page.pages)
    return found


def expected_jumps(ids, cap=paging.COUNT_CAP):
    """What jumps() should find in a list of `ids`: the counted rows (up to the cap) cut into pages."""
    found = {}
    for per_page in range(1, 6):
        pages = None if len(ids) > cap else max(-(-len(ids) // per_page), 1)
        for number in range(1, max(-(-min(len(ids), cap) // per_page), 1) + 1):
            found[per_page, number] = (ids[(number - 1) * per_page : number * per_page], number, pages)
    return found


@pytest.mark.parametrize("role", ["admin", "township", "teacher", "village"])
@pytest.mark.parametrize("args", [{}, {"status": "dropped_out"}, {"township": "T2"}])
def test_a_jump_to_a_page_finds_the_rows_the_next_links_reach(crowd, role, args):
    """Page N by position, in a list read from one query or merged from several (a township's, a teacher's)."""
    with database.connection_context():
        values = {k: str(crowd.other.village.township_id) if v == "T2" else v for k, v in args.items()}
        filters = child_search.Filters.from_args(values)
        ids = [c.id for c in child_search.search(crowd.users[role], filters, TODAY)]
        parts = child_search.search_parts(crowd.users[role], filters, TODAY)
        assert jumps(parts, child_search.ORDER) == expected_jumps(ids)


def test_a_jump_in_a_newest_first_list_and_beyond_the_count_cap(crowd_cases):
    with database.connection_context():
        query = case_search.search(crowd_cases.users["admin"], case_search.CaseFilters(), TODAY)
        ids = [c.id for c in query]
        assert jumps(query, case_search.ORDER, descending=True) == expected_jumps(ids)
        # Counted up to 7 of 23: a jump reaches the pages of the first 7 rows only, and none says how many follow.
        assert jumps(query, case_search.ORDER, descending=True, cap=7) == expected_jumps(ids, cap=7)
        beyond = paging.page(query, case_search.ORDER, 5, number=99, descending=True, cap=7)
        assert ([c.id for c in beyond.rows], beyond.number, beyond.pages) == (ids[5:10], 2, None)


def test_a_page_reached_by_its_links_knows_its_number(crowd):
    with database.connection_context():
        parts = child_search.search_parts(crowd.users["township"], child_search.Filters(), TODAY)
        total = paging.count_capped(parts)[0]
        page = paging.page(parts, child_search.ORDER, 2, number=3)
        following = paging.page(parts, child_search.ORDER, 2, after=page.next_key)
        preceding = paging.page(parts, child_search.ORDER, 2, before=page.previous_key)
        last = paging.page(parts, child_search.ORDER, 2, last=True)
        assert (following.number, preceding.number, page.pages) == (4, 2, -(-total // 2))
        assert last.number == (total - 2) // 2 + 1  # the last two rows, whether or not they fill a page of their own
        # Beyond the counted rows a page has no number, and the list no count of pages.
        far = paging.page(parts, child_search.ORDER, 2, after=page.next_key, cap=3)
        assert (far.number, far.pages) == (None, None)


@pytest.mark.parametrize(
    "raw, size", [(None, 20), ("", 20), ("50", 50), ("7", 7), ("100", 100), ("101", 20), ("0", 20), ("-5", 20)]
)
def test_a_page_size_is_bounded(raw, size):
    assert paging.page_size(raw) == size


@pytest.mark.parametrize("raw, number", [("3", 3), ("0", None), ("x", None), ("99999999999", None), ("١", None)])
def test_a_page_number_is_a_plain_positive_number(raw, number):
    assert paging.page_number(raw) == number


def test_the_list_page_links_lead_through_every_child(crowd, client, app):
    from conftest import login

    login(client, crowd.users["township"])
    with database.connection_context():
        expected = [c.id for c in child_search.search(crowd.users["township"], child_search.Filters(), TODAY)]
    seen, url, pages = [], "/children/?size=3", 0
    import re

    while url:
        page = client.get(url).get_data(as_text=True)
        pages += 1
        seen += [int(i) for i in re.findall(r'href="/children/(\d+)"', page)]
        link = re.search(r'<a href="([^"]+)" rel="next">', page)
        url = link.group(1).replace("&amp;", "&") if link else None
        assert url is None or "size=3" in url  # the page size is kept from page to page
    assert seen == expected and pages == -(-len(expected) // 3)
    assert client.get("/children/?after=garbage&before=[1,2]").status_code == 200
    assert client.get("/children/?last=1").status_code == 200


@pytest.mark.parametrize("role", ["admin", "bureau", "township", "teacher", "village"])
def test_the_home_counts_equal_a_count_by_hand(crowd, make_child, role):
    make_child(village=crowd.home_village, with_id=False, is_poor=True, is_orphan=True, name="无证孤儿")
    make_child(village=crowd.home_village, is_left_behind=True, is_migrant=True, disability_category="visual")
    make_child(village=crowd.other.village, school=crowd.home_school, status="moved_out", is_poor=True)
    user = crowd.users[role]
    with database.connection_context():
        children = list(scope.children(user))
        result = counts.scope_counts(user)
    assert result["total"] == len(children)
    assert result["by_status"] and {code: n for code, _, n in result["by_status"]} == {
        code: sum(c.status == code for c in children) for code, _, _ in result["by_status"]
    }
    assert result["out_of_school"] == sum(c.status in ("suspected", "dropped_out") for c in children)
    assert result["no_id"] == sum(c.id_number is None for c in children)
    assert result["groups"] == {
        "poor": sum(c.is_poor for c in children),
        "left_behind": sum(c.is_left_behind for c in children),
        "migrant": sum(c.is_migrant for c in children),
        "disabled": sum(c.disability_category is not None for c in children),
        "orphan": sum(c.is_orphan for c in children),
    }
