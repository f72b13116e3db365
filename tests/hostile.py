"""Hostile input for the property tests: strategies, and the checks every answer must pass."""

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from dropout.db import database

# One Hypothesis profile for every hostile test: examples share the test's app and database (each example
# compares counts it takes itself), no example database is written into the checkout.
HOSTILE = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

SQL = ("' OR 1=1 --", "'); DROP TABLE child; --", '" OR ""="', "1; SELECT pg_sleep(5)", "%' AND '%'='", "\\'; --")
HTML = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    '" onfocus=alert(1) autofocus x="',
    "' onfocus=alert(1) autofocus x='",
    "</textarea><script>alert(1)</script>",
    "{{ 7*7 }}{% raw %}",
    "javascript:alert(1)",
)
# Raw markup that must never come back unescaped: a hostile value's markers, as the page would carry them.
MARKERS = ("<script>alert", "<img src=x", "<svg/onload", '" onfocus=', "' onfocus=")
CONTROL = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), min_size=1, max_size=8)
# Arbitrary text without NUL (the request guard refuses NUL: test_hostile_auth checks that on its own).
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)
LONG = st.builds(lambda piece, n: (piece * n)[:n], TEXT.filter(str.strip), st.integers(5000, 20000))
FRAGMENT = st.sampled_from(SQL + HTML)


def hostile_text(nul=False):
    """Any text a hostile or careless user might type: markup, SQL, control characters, 5–20k characters."""
    control = CONTROL if nul else CONTROL.map(lambda s: s.replace("\x00", "") or "\x07")
    mixed = st.builds(lambda a, b, c: a + b + c, TEXT, FRAGMENT, TEXT)
    return st.one_of(FRAGMENT, TEXT, mixed, control, st.builds(lambda a, b: a + b, mixed, control), LONG)


BAD_DATES = (
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "20260230",
    "2026年2月30日",
    "99999-01-01",
    "-2026-01-01",
    "1900-01-01",
    "２０２６-０１-０１",
    "yesterday",
    "2026/02/29",
    "0000-00-00",
)


def hostile_date():
    return st.one_of(st.sampled_from(BAD_DATES), TEXT, st.dates().map(str), FRAGMENT)


BAD_NUMBERS = (
    "-1",
    "0",
    "2147483648",
    "99999999999999999999",
    "1e9",
    "²",
    "١٢",
    "0x1f",
    " 3 ",
    "3.5",
    "NaN",
    "inf",
    "-0",
    "+5",
    "5 OR 1=1",
    "",
)


def hostile_number():
    return st.one_of(st.sampled_from(BAD_NUMBERS), st.integers(-(2**70), 2**70).map(str), TEXT)


def body(response):
    return response.get_data(as_text=True)


def assert_sane(response, *values):
    """No server error, and no value's markup comes back unescaped."""
    assert response.status_code < 500, body(response)[:2000]
    page = body(response).lower() if response.mimetype == "text/html" else ""
    for value in values:
        for marker in MARKERS:
            if marker in str(value).lower():
                assert marker not in page, f"{marker!r} came back unescaped"


def count(model, *conditions):
    """Rows of a model (optionally matching conditions), on a connection of its own."""
    with database.connection_context():
        query = model.select()
        for condition in conditions:
            query = query.where(condition)
        return query.count()


def stored(text):
    """What a service keeps of a submitted text: stripped as str.strip() does."""
    return (text or "").strip()


def upload(client, url, data):
    """POST a multipart form; the test client spools a large body to a temporary file, closed here."""
    response = client.post(url, data=data, content_type="multipart/form-data")
    response.request.input_stream.close()
    return response


def landed(client, response):
    """Where a 302 leads, through a background task's page: a done task goes on to its next page (an import's
    preview), a failed one shows why. The final page's URL is `.request.path`."""
    assert response.status_code == 302, response.status_code
    return client.get(response.headers["Location"], follow_redirects=True)
