"""Every page each role reaches, on a 360-px phone: nothing overflows the page, no header is squeezed to one
character per line, no link the app offers answers an error.

Each role's pages are found by following the same-origin links from the home page and the menu (a few pages of
each kind, a cap in all). Every page visited is also saved at 360 and 1280 px, full page, in
tests/artifacts/pages/<role>-<page>-{phone,desk}.png, to be looked at.
"""

import re
import shutil
from urllib.parse import urldefrag, urlsplit

import pytest
from browser import ARTIFACTS, log_in, screenshot

pytestmark = pytest.mark.browser

ROLES = ("admin", "bureau", "township", "teacher", "village")
PHONE = {"width": 360, "height": 740}
DESK = {"width": 1280, "height": 800}
PAGES_PER_ROLE = 50
PAGES_PER_KIND = 2  # e.g. two children's pages, two monthly reports
# Links that leave the page for a file, change the session or act: never followed.
NOT_PAGES = re.compile(
    r"/logout|/lang/|/download|/cancel|/archive/|/scans/|/photo$|\.(pdf|xlsx|json|csv|png|jpg)$", re.IGNORECASE
)
PAGES = ARTIFACTS / "pages"

# Links on the page: same-origin, GET (plain anchors), no download attribute.
LINKS = """() => Array.from(document.querySelectorAll('a[href]:not([download])'), a => a.href)
    .filter(href => href.startsWith(location.origin + '/'))"""

# What breaks the page on a phone, as {"overflow": [...], "squeezed": [...]}, each entry a short description.
# Overflow: the document is wider than the viewport; the culprits are the outermost visible elements that cross
# its right edge outside any element that scrolls or clips by itself (a `.scroll` frame keeps its table inside).
# Squeezed: a header (or a row's first cell, which names the row) of 2+ characters laid out one character per
# line: every character on a line of its own.
FINDINGS = """() => {
  const width = document.documentElement.clientWidth;
  const describe = el => {
    const classes = Array.from(el.classList, name => '.' + name).join('');
    const text = (el.innerText || el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 40);
    return `<${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${classes}> "${text}"`;
  };
  const contained = el => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(up).overflowX)) return true;
    }
    return false;
  };
  const crosses = el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && box.right > width + 1;
  };
  const overflow = [];
  if (document.documentElement.scrollWidth > width + 1) {
    for (const el of document.body.querySelectorAll('*')) {
      if (crosses(el) && !(el.parentElement && crosses(el.parentElement)) && !contained(el)) overflow.push(
        describe(el) + ` ${Math.round(el.getBoundingClientRect().right)}px`);
    }
    if (!overflow.length) overflow.push(`the page is ${document.documentElement.scrollWidth}px wide`);
  }
  const squeezed = [];
  const headers = 'th, h1, h2, h3, label, legend, summary, button, .crumbs > *, td:first-child';
  for (const el of document.querySelectorAll(headers)) {
    const lines = [];
    let characters = 0;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.data.length; i++) {
        if (/\\s/.test(node.data[i])) continue;
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const box = range.getBoundingClientRect();
        if (!box.width && !box.height) continue;  // not displayed
        characters++;
        if (!lines.some(top => Math.abs(top - box.top) < box.height / 2)) lines.push(box.top);
      }
    }
    if (characters >= 2 && lines.length >= characters) squeezed.push(describe(el));
  }
  return {overflow: overflow.slice(0, 6), squeezed: squeezed.slice(0, 6)};
}"""


def _kind(path):
    """A page's kind: its path with numbers and tokens blotted out (/children/17 and /children/23 are one kind)."""
    return re.sub(r"[0-9a-f]{16,}|\d+", "#", path)


def _slug(path):
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:80] or "home"


def _crawl(page, base):
    """(path, status, the path that linked to it) of each page the role logged in on `page` reaches from its home
    page, nearest first; `page` shows the page until the next one is asked for."""
    queue, seen, per_kind = [("/", None)], {"/"}, {}
    while queue and len(seen) - len(queue) < PAGES_PER_ROLE:
        path, referrer = queue.pop(0)
        response = page.goto(base + path)
        yield path, response.status, referrer
        for link in page.evaluate(LINKS):
            parts = urlsplit(urldefrag(link).url)
            target = parts.path + ("?" + parts.query if parts.query else "")
            kind = _kind(parts.path)
            if target in seen or NOT_PAGES.search(parts.path) or per_kind.get(kind, 0) >= PAGES_PER_KIND:
                continue
            seen.add(target)
            per_kind[kind] = per_kind.get(kind, 0) + 1
            queue.append((target, path))


@pytest.fixture(scope="module", autouse=True)
def fresh_screenshots():
    shutil.rmtree(PAGES, ignore_errors=True)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone(server, browser, role):
    base, _ = server
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    desk = browser.new_context(viewport=DESK).new_page()
    problems, visited = [], 0
    try:
        log_in(phone, base, role)
        log_in(desk, base, role)
        for path, status, referrer in _crawl(phone, base):
            visited += 1
            where = f"{role} {path}"
            if status >= 400:
                problems.append(f"{where}: answers {status} (linked from {referrer})")
            found = phone.evaluate(FINDINGS)
            problems += [f"{where}: overflows the page: {what}" for what in found["overflow"]]
            problems += [f"{where}: squeezed to one character per line: {what}" for what in found["squeezed"]]
            screenshot(phone, f"pages/{role}-{_slug(path)}-phone")
            desk.goto(base + path)
            screenshot(desk, f"pages/{role}-{_slug(path)}-desk")
    finally:
        phone.context.close()
        desk.context.close()
    assert visited > 5, f"{role} reached only {visited} pages"
    if problems:
        pytest.fail(f"{role}: {len(problems)} problems on {visited} pages:\n" + "\n".join(problems), pytrace=False)
