"""Every page each demo role reaches from its navigation answers, is named in its title,
and shows figures as people read them: no `(s)` plurals, no "1 rows", no raw Decimals such as 1234.500000 or
2400.000, no ungrouped thousands with decimals."""

from __future__ import annotations

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from pooling.models import Pool

pytestmark = pytest.mark.xdist_group("demo-pages")

DEMO_PASSWORD = "pool-together-2026"
ROLES = ("coordinator@demo.coop", "ana@shenzhen-gadgets.demo", "emi@osaka-beauty.demo",
         "farid@kuwait-outdoor.demo", "ops@blue-anchor.demo", "ops@brightreach.demo")
SKIPPED = ("/static/", "/admin/", "/accounts/logout", "/api/")
SITE = "Exporters' Cooperative"  # the title of a page that names nothing more

# a raw Decimal: five or more decimals (1234.500000, an ISO time's microseconds), four or
# more ending in zero (0.0000), three zeros (2400.000), or thousands left ungrouped before
# decimals (2104.50). KWD amounts have three decimals and stay allowed (KWD 316.378).
RAW_DECIMAL = re.compile(r"\d\.\d{5,}|\d\.\d{3,}0\b|(?<![\d,])(?<!KWD )(?<!BHD )(?<!OMR )\d+\.000\b"
                         r"|(?<![\d,.])\d{4,}\.\d+\b")
BAD_PLURAL = re.compile(r"\(s\)|\b1 (rows|needs|demands|members|pools|days|containers)\b|"
                        r"\b1 of \d+ rows have\b")


def _text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html)


def _walk(client: Client, limit: int = 60) -> dict[str, tuple[int, str]]:
    """Follow every in-site link from the start page, at most `limit` pages."""
    seen: dict[str, tuple[int, str]] = {}
    todo = ["/"]
    while todo and len(seen) < limit:
        url = todo.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        if response.status_code in (301, 302):
            seen[url] = (response.status_code, "")
            todo.append(response["Location"])
            continue
        body = response.content.decode() if "html" in response.get("Content-Type", "") else ""
        seen[url] = (response.status_code, body)
        for href in re.findall(r'href="(/[^"#]*)"', body):
            href = href.replace("&amp;", "&")
            if not href.startswith(SKIPPED) and ".csv" not in href and href not in seen:
                todo.append(href)
    return seen


@pytest.mark.django_db(transaction=True)
def test_every_demo_page_answers_and_reads_its_figures_plainly() -> None:
    call_command("demo", stdout=StringIO())
    # the demo's Google Ads programme has a minimum and no tiers: its two needs pool for access
    google = Pool.objects.get(programme__name="Google Ads agency pool (demo figures)")
    assert google.programme.tiers == []
    assert sorted(google.members.values_list("ad_need__budget", flat=True)) == [
        Decimal("5000.00"), Decimal("6000.00")]
    problems = []
    for email in ROLES:
        client = Client()
        assert client.login(username=email, password=DEMO_PASSWORD), email
        pages = _walk(client)
        assert len(pages) > 5, (email, list(pages))
        for url, (status, body) in pages.items():
            if status >= 400:
                problems.append(f"{email} {url}: HTTP {status}")
                continue
            title = re.search(r"<title>(.*?)</title>", body, flags=re.S)
            if url != "/" and (title is None or title.group(1).strip() == SITE):
                problems.append(f"{email} {url}: the page's title does not name it")
            text = _text(body)
            problems += [f"{email} {url}: raw number {m.group(0)!r} in "
                         f"…{text[max(0, m.start() - 60):m.end() + 20]}…"
                         for m in RAW_DECIMAL.finditer(text)]
            problems += [f"{email} {url}: {m.group(0)!r}" for m in BAD_PLURAL.finditer(text)]
    assert problems == [], "\n".join(problems)


def test_the_raw_number_patterns_catch_what_they_should() -> None:
    for raw in ("1234.500000", "2400.000", "0.0000", "13:45:13.661783", "USD 2104.50"):
        assert RAW_DECIMAL.search(raw), raw
    for fine in ("USD 1,234.50", "KWD 316.378", "1 USD = 0.3075 KWD", "2,400 kg", "12.35 CBM",
                 "2026-12-04 13:45 UTC", "DEMO-00001", "0.92", "KWD 328.160",
                 "KWD 0.000", "KWD 1,200.000"):
        assert not RAW_DECIMAL.search(fine), fine
    assert BAD_PLURAL.search("2 need(s) out") and BAD_PLURAL.search("1 rows")
    assert not BAD_PLURAL.search("1 row has errors")
