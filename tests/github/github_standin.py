"""A recording stand-in for the part of GitHub's REST API that the audit keeper uses,
served on 127.0.0.1: list a repository's issues (state and label filters, pages linked
through the Link header, newest first), create an issue, update one, comment on one.
Every request is recorded. It proves which calls are made with what, not that GitHub
accepts them, which only a run on GitHub can show."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

OWNER, REPO = "acme", "mail-settings"
ISSUES = re.compile(rf"^/repos/{OWNER}/{REPO}/issues(?:/(\d+)(/comments)?)?$")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    login: str


@dataclass
class StandIn:
    """The repository's issues and comments, and the requests made. ``tokens`` maps a
    token to the login it acts as; ``page_cap`` caps per_page like GitHub (100);
    ``keep_labels=False`` drops the labels of new issues, as GitHub does for a token that
    may not set them; ``next_base`` replaces the origin in Link headers."""

    tokens: dict[str, str]
    page_cap: int = 100
    keep_labels: bool = True
    next_base: str = ""
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_issue(self, login: str, title: str, body: str, labels: list[str]) -> int:
        number = max([*self.issues, 0]) + 1
        self.issues[number] = {
            "number": number,
            "state": "open",
            "state_reason": None,
            "title": title,
            "body": body,
            "user": {"login": login},
            "labels": [{"name": name} for name in labels],
        }
        return number

    def writes(self) -> list[tuple[str, str, Any]]:
        return [(r.method, r.path, r.body) for r in self.requests if r.method != "GET"]

    def handle(self, method: str, target: str, login: str, body: Any) -> tuple[int, Any, str]:
        split = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        self.requests.append(Request(method, split.path, query, body, login))
        match = ISSUES.match(split.path)
        if match is None:
            return 404, {"message": "Not Found"}, ""
        number = int(match.group(1)) if match.group(1) else None
        if number is None and method == "GET":
            return self.list(split.path, query)
        if number is None and method == "POST":
            labels = body.get("labels", []) if self.keep_labels else []
            created = self.add_issue(login, body["title"], body["body"], labels)
            return 201, self.issues[created], ""
        if number not in self.issues:
            return 404, {"message": "Not Found"}, ""
        if match.group(2) and method == "POST":
            comment = {"id": 10_000 + len(self.comments), "issue": number, "body": body["body"]}
            comment["user"] = {"login": login}
            self.comments.append(comment)
            return 201, comment, ""
        if not match.group(2) and method == "PATCH":
            for key in ("title", "body", "state", "state_reason"):
                if key in body:
                    self.issues[number][key] = body[key]
            return 200, self.issues[number], ""
        return 405, {"message": "Method Not Allowed"}, ""

    def list(self, path: str, query: dict[str, str]) -> tuple[int, Any, str]:
        wanted = [name for name in query.get("labels", "").split(",") if name]
        state = query.get("state", "open")
        found = [
            issue
            for issue in sorted(self.issues.values(), key=lambda i: -i["number"])
            if (state == "all" or issue["state"] == state)
            and all(name in [label["name"] for label in issue["labels"]] for name in wanted)
        ]
        size = min(int(query.get("per_page", "30")), self.page_cap)
        page = int(query.get("page", "1"))
        last = max(1, -(-len(found) // size))
        links = []
        base = self.next_base or self.url
        for rel, to in (("next", page + 1), ("last", last)):
            if rel == "next" and page >= last:
                continue
            links.append(f'<{base}{path}?{urlencode({**query, "page": str(to)})}>; rel="{rel}"')
        return 200, found[(page - 1) * size : page * size], ", ".join(links)


@contextmanager
def serving(standin: StandIn) -> Iterator[StandIn]:
    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            length = int(self.headers.get("Content-Length") or 0)
            payload = json.loads(self.rfile.read(length)) if length else None
            if token not in standin.tokens:
                status, data, link = 401, {"message": "Bad credentials"}, ""
            else:
                with standin.lock:
                    login = standin.tokens[token]
                    status, data, link = standin.handle(self.command, self.path, login, payload)
            encoded = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            if link:
                self.send_header("Link", link)
            self.end_headers()
            self.wfile.write(encoded)

        do_GET = do_POST = do_PATCH = answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
