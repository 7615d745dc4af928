"""The course's website in a real browser (`make test-site`: it builds _site/ first, then runs this).

_site/ is served on 127.0.0.1 only and every page is opened in headless Chromium: no console error, no
failed request, no request to another host; every image loads; math is typeset; every static explorer's
figure changes when each of its controls moves; every internal link resolves; no exercise answer is
anywhere on the site. Outside `make test-site` (MTL_EDU_SITE unset) the module is skipped.
"""
from __future__ import annotations

import functools
import html
import html.parser
import http.server
import json
import importlib
import os
import re
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

import browser_helpers as lab

ROOT = Path(__file__).resolve().parent.parent
SITE = os.environ.get("MTL_EDU_SITE")
if not SITE:
    pytest.skip("the website is checked by `make test-site`, which builds it first", allow_module_level=True)
SITE_DIR = Path(SITE)
sync_api = pytest.importorskip("playwright.sync_api")
sys.path.insert(0, str(ROOT / "tools"))
import solutions  # noqa: E402  (tools/solutions.py)

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MAX_SITE_BYTES = 150 * 1024 * 1024
HOST = "127.0.0.1"


def pages() -> list[Path]:
    return sorted(SITE_DIR.glob("*.html"))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    assert SITE_DIR.is_dir() and (SITE_DIR / "index.html").is_file(), f"no built site in {SITE_DIR.name}/: run make site"
    httpd = http.server.ThreadingHTTPServer((HOST, 0), functools.partial(QuietHandler, directory=str(SITE_DIR)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        executable = lab.chromium_executable(playwright)
        assert executable is not None, f"no Chromium to drive: install it (apt-get install chromium, giving {lab.SYSTEM_CHROMIUM})"
        chromium = playwright.chromium.launch(executable_path=str(executable), headless=True, args=lab.CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Visit:
    """One page opened in a fresh context, with everything that went wrong on the way."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.console_errors, self.failed, self.foreign = [], [], []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.url} (HTTP {r.status})"))
        self.context.route("**/*", self._only_this_host)
        self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")

    def _only_this_host(self, route):
        if urlsplit(route.request.url).hostname != HOST:
            self.foreign.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def close(self):
        self.context.close()


def load_all_images(page) -> list[str]:
    """The sources of images that did not load (lazy ones are scrolled into view first)."""
    for img in page.locator("img").all():
        img.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    return page.evaluate("""() => Array.from(document.images)
        .filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src)""")


def test_the_site_has_every_lesson_page_and_fits_its_budget():
    names = {page.name for page in pages()}
    for lesson in LESSONS:
        assert f"{lesson.stem}.html" in names, lesson.stem
        assert (SITE_DIR / "notebooks" / lesson.name).is_file(), f"{lesson.name} is not downloadable from the site"
    size = sum(path.stat().st_size for path in SITE_DIR.rglob("*") if path.is_file())
    assert size <= MAX_SITE_BYTES, f"_site/ takes {size / 2**20:.0f} MiB, more than {MAX_SITE_BYTES / 2**20:.0f}"
    for figure in (SITE_DIR / "_static" / "explorers").rglob("*.png"):
        assert figure.stat().st_size <= 60_000, f"{figure.name}: {figure.stat().st_size} bytes"


@pytest.mark.parametrize("name", [p.name for p in pages()])
def test_page_loads_cleanly_from_this_host_only_with_images_and_math(browser, server, name):
    visit = Visit(browser, server + name)
    try:
        page = visit.page
        broken = load_all_images(page)
        math = page.locator(".math").count()
        if math:
            page.wait_for_function("n => document.querySelectorAll('mjx-container').length >= n", arg=math,
                                   timeout=30_000)
            raw = page.evaluate("""() => Array.from(document.querySelectorAll('.math'))
                .filter(el => !el.querySelector('mjx-container')).map(el => el.textContent.slice(0, 60))""")
            assert not raw, f"{name}: math left as TeX: {raw[:3]}"
        assert not visit.foreign, f"{name}: requests to another host: {visit.foreign[:5]}"
        assert not visit.failed, f"{name}: failed requests: {visit.failed[:5]}"
        assert not broken, f"{name}: images that did not load: {broken[:5]}"
        assert not visit.console_errors, f"{name}: console errors: {visit.console_errors[:5]}"
    finally:
        visit.close()


def move_control(control, to_index: int) -> None:
    if control.evaluate("el => el.tagName") == "SELECT":
        control.select_option(index=to_index)
    else:
        control.evaluate("(el, v) => { el.value = String(v); el.dispatchEvent(new Event('input', {bubbles: true})); }",
                         to_index)


@pytest.mark.parametrize("lesson", [p.stem for p in LESSONS])
def test_every_static_explorer_reacts_to_each_control(browser, server, lesson):
    visit = Visit(browser, server + f"{lesson}.html")
    try:
        page = visit.page
        explorers = page.locator(".mtl-static-explorer").all()
        assert explorers, f"{lesson}: no static explorer on the page"
        for explorer in explorers:
            name = explorer.get_attribute("data-explorer")
            figure = explorer.locator("img")
            assert figure.count() == 1, f"{name}: {figure.count()} images"
            controls = explorer.locator("input[type=range], select").all()
            assert controls and len(controls) == explorer.locator("input, select").count(), name
            settings = 1
            for control in controls:
                is_select = control.evaluate("el => el.tagName") == "SELECT"
                count = control.locator("option").count() if is_select else int(control.get_attribute("max")) + 1
                settings *= count
                start = int(control.input_value())
                far = count - 1 if start < count - 1 else 0
                before_src, before_status = figure.get_attribute("src"), explorer.locator(".mtl-static-status").inner_text()
                move_control(control, far)
                after_src = figure.get_attribute("src")
                assert after_src != before_src, f"{name}: moving {control.get_attribute('data-control')} to {far} kept the figure"
                assert explorer.locator(".mtl-static-status").inner_text() != before_status, name
                page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=figure.element_handle())
                move_control(control, start)
                assert figure.get_attribute("src") == before_src, name
            assert 30 <= settings <= 150, f"{name}: {settings} settings"
        assert not visit.console_errors and not visit.failed and not visit.foreign, \
            (visit.console_errors[:3], visit.failed[:3], visit.foreign[:3])
    finally:
        visit.close()


def test_every_internal_link_resolves():
    href = re.compile(r'<a\b[^>]*\bhref="([^"]+)"')
    ids: dict = {}

    def ids_of(path: Path) -> set:
        if path not in ids:
            ids[path] = set(re.findall(r'\bid="([^"]+)"', path.read_text(errors="replace")))
        return ids[path]

    broken = []
    for page in pages():
        for link in href.findall(page.read_text(errors="replace")):
            link = html.unescape(link)
            target = urlsplit(urljoin(f"http://{HOST}/{page.name}", link))
            if target.hostname != HOST or target.scheme not in ("http", "https"):
                continue
            path = SITE_DIR / unquote(target.path).lstrip("/")
            if path.is_dir():
                path = path / "index.html"
            if not path.is_file():
                broken.append(f"{page.name}: {link}")
            elif target.fragment and path.suffix == ".html" and unquote(target.fragment) not in ids_of(path):
                broken.append(f"{page.name}: {link} (no such anchor)")
    assert not broken, broken[:10]


def test_lesson_pages_link_the_previous_and_next_lesson():
    for i, lesson in enumerate(LESSONS):
        text = (SITE_DIR / f"{lesson.stem}.html").read_text()
        previous = LESSONS[i - 1].stem + ".html" if i else "index.html"
        assert re.search(rf'class="left-prev"[^>]*href="{previous}"|href="{previous}"[^>]*class="left-prev"', text), lesson.stem
        if i + 1 < len(LESSONS):
            following = LESSONS[i + 1].stem + ".html"
            assert re.search(rf'class="right-next"[^>]*href="{following}"|href="{following}"[^>]*class="right-next"', text), lesson.stem


class VisibleText(html.parser.HTMLParser):
    """The text a reader sees on a page: no scripts, styles or markup."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("script", "style") and self.hidden > 0

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def page_text(lesson: Path) -> str:
    """What a reader of a lesson's page sees (its visible text) and the page's source (cells and text outputs).
    The search index and the other pages are made of the same text."""
    parser = VisibleText()
    parser.feed((SITE_DIR / f"{lesson.stem}.html").read_text(errors="replace"))
    parts = [" ".join(parser.parts)]
    for cell in json.loads((SITE_DIR / "_sources" / lesson.name).read_text())["cells"]:
        parts.append("".join(cell["source"]))
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            parts += ["".join(output.get("data", {}).get(mime, "")) for mime in ("text/plain", "text/markdown")]
    return "\n".join(parts)


def test_no_exercise_answer_or_solution_is_anywhere_on_the_site():
    found = []
    for lesson in LESSONS:
        text = page_text(lesson)
        module = importlib.import_module(f"mtl_edu.lessons.lesson{lesson.stem[:2]}")
        for exercise, phrases in module.answer_texts().items():
            found += [f"{lesson.stem} {exercise}: {phrase!r}" for phrase in phrases if phrase and phrase in text]
        for exercise in solutions.exercises(lesson):
            for region in solutions.regions(solutions.solution_cell(exercise.solution_path)):
                found += [f"{lesson.stem} {exercise.name}: {line.strip()!r}" for line in region.splitlines()
                          if len(line.strip()) >= 12 and line.strip() in text]
        calls = re.findall(r"(?m)^\s*check_\w+\(\w[^)]*\)", text)
        assert not calls, f"{lesson.stem}: checker calls on the page: {calls[:5]}"
    assert not found, found[:10]
