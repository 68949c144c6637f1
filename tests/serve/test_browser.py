"""The curator's application in a real browser (Debian's Chromium, headless, through Playwright):
search and open a haemorrhage with its locator, a trial's arms and adverse events, a saved query's form
and CSV, the SPARQL editor; no page logs a Content-Security-Policy violation or a script error."""

from __future__ import annotations

import csv
import io
import os

import pytest

from tests.serve.browser import available, chromium

pytestmark = pytest.mark.skipif(bool(available()) and not os.environ.get("CI"), reason=available() or "ok")


@pytest.fixture(scope="module")
def browser():
    why = available()
    if why:
        pytest.fail(why)  # in CI (make test installs chromium) a missing browser is a failure, not a skip
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(base_url=server.base, accept_downloads=True, viewport={"width": 1280, "height": 900})
    p = ctx.new_page()
    problems = []
    p.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: problems.append(str(e)))
    p.problems = problems
    yield p
    ctx.close()


def test_search_bleeding_opens_a_haemorrhage_with_its_locator(page):
    page.goto("/")
    box = page.locator(".big-search input[type=search]")
    box.fill("bleeding")
    # suggestions as you type
    page.locator(".big-search ul.suggestions li a").first.wait_for(timeout=15000)
    assert page.locator(".big-search ul.suggestions li a").count() > 0
    box.press("Enter")
    page.wait_for_url("**/search?q=bleeding*")
    hits = page.locator("table.results tbody tr")
    assert hits.count() > 0
    row = hits.filter(has_text="AdverseEventCount").filter(has_text="Gastrointestinal bleeding").first
    assert "label" in row.locator("ul.why").inner_text() or "synonym" in row.locator("ul.why").inner_text()
    row.locator("td a").first.click()
    page.wait_for_url("**/entity?iri=*")
    evidence = page.locator("section.evidence")
    assert evidence.is_visible()
    assert "Table 3" in evidence.locator("dd.locator").first.inner_text()
    assert "Jiang et al. 2024" in evidence.inner_text()
    assert not page.problems, page.problems


def test_trial_page_shows_arms_and_adverse_events(page):
    page.goto("/entity?iri=https://w3id.org/msckg/id/trial/ChiCTR2000035740")
    headings = page.locator("section.related h2").all_inner_texts()
    assert any(h.startswith("Experimental arm") for h in headings) and any(h.startswith("Placebo arm") for h in headings)
    ae = page.locator("section.related", has=page.locator("h2", has_text="Adverse-event count"))
    assert ae.locator("table tbody tr").count() >= 10
    header = ae.locator("thead").inner_text()
    assert "locator" in header and "source" in header
    # click through to an arm
    page.locator("section.related", has=page.locator("h2", has_text="Experimental arm")).locator("tbody a").first.click()
    page.wait_for_url("**/entity?iri=*arm*")
    assert page.locator("h1").inner_text()
    assert not page.problems, page.problems


def test_controlled_comparisons_form_and_csv(page):
    page.goto("/queries")
    page.get_by_role("link", name="Every between-arm comparison", exact=False).click()
    page.wait_for_url("**/queries/controlled-comparisons")
    page.locator("form.params button").click()
    page.wait_for_load_state()
    rows = page.locator("table.answer tbody tr")
    assert rows.count() > 0
    with page.expect_download() as dl:
        page.get_by_role("link", name="download CSV").click()
    path = dl.value.path()
    data = list(csv.DictReader(io.StringIO(open(path, encoding="utf-8").read())))
    assert len(data) == rows.count()
    assert {"trial", "statistic", "estimate"} <= set(data[0])
    assert not page.problems, page.problems


def test_query_with_parameters_from_its_form(page):
    page.goto("/queries/adverse-events")
    page.fill("input[name=min_grade]", "5")
    page.select_option("select[name=serious_only]", "false")
    page.locator("form.params button").click()
    page.wait_for_url("**min_grade=5**")
    grades = page.locator("table.answer tbody tr")
    assert grades.count() > 0
    assert page.locator("figure.plot img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert not page.problems, page.problems


def test_sparql_editor_runs_a_query(page):
    page.goto("/editor")
    page.locator(".yasqe .CodeMirror").wait_for(timeout=20000)
    page.evaluate("""() => { window.msckgYasgui.getTab().setQuery(
        'PREFIX msckg: <https://w3id.org/msckg/>\\nSELECT ?trial WHERE { ?trial a msckg:Trial } ORDER BY ?trial'); return true; }""")
    page.locator(".yasqe_queryButton").click()
    page.locator(".yasr table.dataTable tbody tr, .yasr .dataTable tbody tr").first.wait_for(timeout=20000)
    text = page.locator(".yasr").inner_text()
    assert "NCT04014166" in text and "ChiCTR2000035740" in text
    assert not [p for p in page.problems if "Content Security Policy" in p or "Refused" in p], page.problems


def test_pages_work_without_javascript(browser, server):
    ctx = browser.new_context(base_url=server.base, java_script_enabled=False)
    p = ctx.new_page()
    try:
        p.goto("/queries/controlled-comparisons")
        assert p.locator("table.answer tbody tr").count() > 0
        p.goto("/entity?iri=https://w3id.org/msckg/id/trial/NCT04014166")
        assert p.locator("section.related").count() > 3
        p.goto("/editor")
        p.fill("textarea[name=query]", "ASK { ?s ?p ?o }")
        p.locator("form.plain-editor button").click()
        p.wait_for_url("**/editor?query=*")
        assert "true" in p.locator(".plain-answer").inner_text()
    finally:
        ctx.close()
