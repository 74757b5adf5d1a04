"""The page for people at ``/``: the applied domains with their IMAP and SMTP settings
and, per domain, its connection IPs with a Copy button.

``PAGE_SIZE`` domains a page, sorted by name (``/?page=N``, with links to the first,
previous, next and last pages), so a store of 100,000 domains serves 500 pages of
about 200 KB rather than one document of tens of megabytes. ``/?q=NAME`` (the "Go to
domain" form) redirects to the page where NAME, or the first name after it, stands.

A page is rendered on its first request for a snapshot and kept (the most recently
asked :data:`MAX_CACHED_PAGES` of them); the next request of it is a dictionary
lookup. Same ETag, ``Cache-Control`` and ``304`` as every answer from a snapshot.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reconciler.desired import names as domain_names
from reconciler.serve.page_render import POLICY, page_count, page_of, render
from reconciler.serve.poller import SnapshotSource
from reconciler.serve.respond import CACHE_PUBLIC, NO_STORE, matches, problem
from reconciler.serve.snapshot import Snapshot

HTML = "text/html; charset=utf-8"
# 64 pages of 200 domains: about 13 MB at most, whatever the number of domains.
MAX_CACHED_PAGES = 64
NO_SUCH_PAGE = "no such page: pages are numbered from 1 to the last one the page links to"
_MAX_PAGE_DIGITS = 9


class PageCache:
    """The rendered pages of the snapshot last asked for. A request with another
    snapshot empties it. Used from the event loop's thread only (no await inside)."""

    def __init__(self, capacity: int = MAX_CACHED_PAGES) -> None:
        self._capacity = capacity
        self._snapshot: Snapshot | None = None
        self._names: list[str] = []
        self._pages: OrderedDict[int, bytes] = OrderedDict()
        self.renders = 0  # how many pages were rendered (not served from the cache)

    def names(self, current: Snapshot) -> list[str]:
        """The domain names of ``current``, sorted."""
        if current is not self._snapshot:
            self._snapshot = current
            self._names = sorted(current.domains)
            self._pages.clear()
        return self._names

    def page(self, current: Snapshot, number: int) -> bytes:
        """Page ``number`` of ``current``, rendered once while it stays in the cache."""
        names = self.names(current)
        body = self._pages.get(number)
        if body is None:
            body = render(current, names, number)
            self.renders += 1
            self._pages[number] = body
            if len(self._pages) > self._capacity:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        return body


def routes(source: SnapshotSource, cache: PageCache | None = None) -> list[BaseRoute]:
    """The page at ``/``, answering from ``source``."""
    pages = cache if cache is not None else PageCache()

    async def page(request: Request) -> Response:
        current = source.current
        names = pages.names(current)
        wanted = request.query_params.get("q", "").strip()
        if wanted:
            return _jump(names, wanted)
        number = _page_number(request.query_params.get("page", "1"))
        if number is None or number > page_count(len(names)):
            return problem(404, NO_SUCH_PAGE)
        etag = current.etag("html")
        headers = {"ETag": etag, "Cache-Control": CACHE_PUBLIC, "Content-Security-Policy": POLICY}
        if matches(request, etag):
            return Response(status_code=304, headers=headers)
        return Response(pages.page(current, number), media_type=HTML, headers=headers)

    return [Route("/", page, methods=["GET"])]


def _page_number(raw: str) -> int | None:
    if not raw.isdigit() or not raw.isascii() or len(raw) > _MAX_PAGE_DIGITS:
        return None
    number = int(raw)
    return number if number >= 1 else None


def _jump(names: list[str], wanted: str) -> Response:
    """303 to the page where ``wanted`` (a name or its beginning) is, at its entry."""
    try:
        key = domain_names.normalise_domain(wanted)
    except domain_names.NameProblem:
        key = wanted.lower()
    position = bisect_left(names, key)
    if not names:
        location = "/"
    elif position == len(names):
        location = f"/?page={page_count(len(names))}"
    else:
        fragment = quote(f"domain-{names[position]}", safe="")
        location = f"/?page={page_of(position)}#{fragment}"
    return Response(status_code=303, headers={"Location": location, "Cache-Control": NO_STORE})
