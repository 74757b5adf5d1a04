"""The page for people at ``/``, in process: what it shows, that the store's values are
escaped, that its CSP allows exactly the script and style it carries, 304s, pages of
200 domains, the Go-to-domain jump, and that a page is rendered once per snapshot."""

from __future__ import annotations

import asyncio
import base64
import fnmatch
import hashlib
import html
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path

import httpx

from reconciler.serve import page
from reconciler.serve.app import build_app, store_source
from reconciler.serve.page_render import PAGE_SIZE
from reconciler.store.open import open_store
from tests.app_support import seeded
from tests.serve.client_support import client, get_all
from tests.serve.conftest import RANGES
from tests.store.requests import domain, numbered
from tests.store.requests import request as apply_request

SECTION = re.compile(r'<section class="domain" id="domain-([^"]*)"')


def pre_texts(body: str) -> dict[str, str]:
    """The text of each ``<pre id=...>`` as a browser has it (first newline dropped)."""
    found = re.findall(r'<pre id="([^"]+)">\n(.*?)</pre>', body, flags=re.DOTALL)
    return {ident: html.unescape(text) for ident, text in found}


def inline(body: str, element: str) -> list[str]:
    return re.findall(rf"<{element}>(.*?)</{element}>", body, flags=re.DOTALL)


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_page_shows_each_domain_its_settings_and_connection_ips(store_url: str) -> None:
    home, listed, static_txt = get_all(
        store_url, "/", "/v1/domains", "/v1/domains/example.com/connection-ips.txt"
    )
    assert home.status_code == 200
    assert home.headers["content-type"] == "text/html; charset=utf-8"
    body = home.text
    assert SECTION.findall(body) == ["example.com", "plain.example", "xn--bcher-kva.example"]
    assert "Serial <strong>1</strong>" in body
    applied_at = listed.json()["applied_at"]
    assert f'<time datetime="{applied_at}">' in body
    assert "<bdi>imap.example.com</bdi>, port 993, SSL/TLS" in body
    assert "<bdi>smtp.example.com</bdi>, port 587, STARTTLS" in body
    # The Unicode spelling stands next to the xn-- name.
    assert '<bdi>xn--bcher-kva.example</bdi> <span class="unicode">(<bdi>bücher.example' in body
    bucher = body.split('id="domain-xn--bcher-kva.example"')[1]
    assert "non-secure allowed" in bucher.split("</section>")[0]
    # Each domain has its own disclosure; the static one holds exactly the text/plain
    # answer and a Copy button for it, announced through a live region.
    assert body.count("<summary>View connection IPs") == 3
    assert pre_texts(body) == {"ips-1": static_txt.text}
    assert static_txt.text == "".join(f"{cidr}\n" for cidr in RANGES)
    assert '<button type="button" data-copy="ips-1" data-status="copied-1">Copy' in body
    assert '<span class="status" id="copied-1" role="status" aria-live="polite">' in body
    assert "does not use static IP addresses" in body
    assert "MAIL_USER" not in body


def test_the_policy_allows_exactly_the_script_and_style_served(store_url: str) -> None:
    (home,) = get_all(store_url, "/")
    body = home.text
    policy = home.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    (script,) = inline(body, "script")
    (style,) = inline(body, "style")
    assert directives["script-src"] == sha256_source(script)
    assert directives["style-src"] == sha256_source(style)
    assert directives["default-src"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "navigator.clipboard.writeText" in script
    # Nothing is loaded from anywhere: no external script, style, image or font.
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=", body)
    assert "http://" not in body and "https://" not in body
    assert home.headers["x-content-type-options"] == "nosniff"


def test_if_none_match_gets_304_without_a_body(store_url: str) -> None:
    (first,) = get_all(store_url, "/")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=60"
    (again,) = get_all(store_url, "/", **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag


def test_values_from_the_store_are_escaped(tmp_path: Path) -> None:
    hostile = '"><script>alert(1)</script>.example'
    url = seeded(tmp_path, [domain(hostile, static=True)], ["<img src=x onerror=alert(2)>"])
    (home,) = get_all(url, "/")
    body = home.text
    assert "<script>alert" not in body and "<img" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert 'id="domain-&#34;&gt;&lt;script&gt;' in body  # attributes too
    # The escaped list still copies (and reads) as the stored text.
    assert pre_texts(body) == {"ips-1": "<img src=x onerror=alert(2)>\n"}
    assert len(inline(body, "script")) == 1


def test_pages_of_200_domains_with_links_between_them(tmp_path: Path) -> None:
    url = seeded(tmp_path, numbered(2 * PAGE_SIZE + 50))
    first, second, last, beyond, zero, word = get_all(
        url, "/", "/?page=2", "/?page=3", "/?page=4", "/?page=0", "/?page=two"
    )
    shown = [SECTION.findall(answer.text) for answer in (first, second, last)]
    assert [len(names) for names in shown] == [PAGE_SIZE, PAGE_SIZE, 50]
    assert shown[0][0] == "d00000.example" and shown[1][0] == "d00200.example"
    assert shown[2][-1] == "d00449.example"
    assert "page 2 of 3" in second.text
    assert '<a href="/?page=3" rel="next">' in second.text
    assert '<a href="/?page=1" rel="prev">' in second.text
    assert 'rel="prev"' not in first.text and 'rel="next"' not in last.text
    assert [a.status_code for a in (beyond, zero, word)] == [404, 404, 404]
    assert len(first.content) < 200 * 1024  # a page stays small, whatever the total


def test_go_to_domain_redirects_to_its_page(tmp_path: Path) -> None:
    url = seeded(tmp_path, [*numbered(PAGE_SIZE + 10), domain("xn--bcher-kva.example")])
    exact, prefix, unicode, after_all = get_all(
        url, "/?q=D00205.example", "/?q=d0002", "/?q=Bücher.example", "/?q=zzz"
    )
    assert exact.status_code == 303
    assert exact.headers["location"] == "/?page=2#domain-d00205.example"
    assert prefix.headers["location"] == "/?page=1#domain-d00020.example"
    assert unicode.headers["location"] == "/?page=2#domain-xn--bcher-kva.example"
    assert after_all.headers["location"] == "/?page=2"


def test_a_page_is_rendered_once_per_snapshot(tmp_path: Path) -> None:
    url = seeded(tmp_path, [domain("example.com")])
    cache = page.PageCache()
    source = store_source(url)
    app = build_app(source, poll_interval=None, routers=(lambda s: page.routes(s, cache),))

    async def get(c: httpx.AsyncClient, paths: Sequence[str]) -> list[httpx.Response]:
        return [await c.get(path) for path in paths]

    async def main() -> tuple[list[httpx.Response], list[httpx.Response]]:
        async with client(app) as c:
            before = await get(c, ["/", "/", "/?page=1"])
            assert cache.renders == 1
            store = open_store(url)
            try:
                store.apply(apply_request(store.read(), [domain("example.com", port=143)]))
            finally:
                store.close()
            await asyncio.to_thread(source.poll)
            after = await get(c, ["/", "/"])
            return before, after

    before, after = asyncio.run(main())
    assert cache.renders == 2
    assert {a.text for a in before} == {before[0].text}
    assert "port 993" in before[0].text and "port 143" in after[0].text
    assert "Serial <strong>2</strong>" in after[1].text
    assert after[0].headers["etag"] != before[0].headers["etag"]


def test_every_page_asset_is_package_data() -> None:
    """A non-editable install carries the template, style and script (read at import)."""
    root = Path(__file__).resolve().parents[2]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["reconciler.serve"]
    serve = root / "reconciler" / "serve"
    assets = sorted(p.relative_to(serve).as_posix() for p in (serve / "templates").iterdir())
    assert assets == ["templates/page.css", "templates/page.html", "templates/page.js"]
    for asset in assets:
        assert any(fnmatch.fnmatch(asset, pattern) for pattern in patterns), asset
