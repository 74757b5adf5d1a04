"""The settings API under /v1, in process, on SQLite and PostgreSQL: the documents,
their ETags (the serial in the body agrees), 304s, plain-text ranges, and errors that
never repeat what was sent."""

from __future__ import annotations

import json

import httpx
import jsonschema

from tests.serve.client_support import get_all, serial_of, talk
from tests.serve.conftest import RANGES


def test_domain_list_and_settings(store_url: str) -> None:
    listed, one, idn = get_all(
        store_url, "/v1/domains", "/v1/domains/Example.COM.", "/v1/domains/bücher.example"
    )
    assert listed.status_code == 200
    assert listed.json()["domains"] == ["example.com", "plain.example", "xn--bcher-kva.example"]
    body = one.json()
    assert body["name"] == "example.com"
    assert body["imap"] == {
        "host": "imap.example.com",
        "port": 993,
        "security": "ssl",
        "username": None,
    }
    assert body["smtp"]["security"] == "starttls"
    assert body["use_static_ip_addresses"] is True
    assert body["serial"] == serial_of(one) == serial_of(listed) == 1
    assert body["applied_at"] == listed.json()["applied_at"]
    assert one.headers["cache-control"] == "public, max-age=60"
    assert one.headers["content-type"] == "application/json"
    # Found by its Unicode name; the credential variables are never published.
    assert idn.json()["display_name"] == "bücher.example"
    assert idn.json()["allow_non_secure_certificate"] is True
    assert "MAIL_USER" not in idn.text and "credentials" not in idn.text


def test_the_settings_of_an_address_have_the_login_name_filled_in(store_url: str) -> None:
    (answer,) = get_all(store_url, "/v1/settings?email=Alice@EXAMPLE.com")
    body = answer.json()
    assert body["email"] == "Alice@example.com"  # local part kept, domain normalised
    assert body["domain"] == "example.com"
    assert body["imap"]["username"] == body["smtp"]["username"] == "Alice@example.com"
    assert body["imap"]["host"] == "imap.example.com"
    assert body["serial"] == serial_of(answer) == 1


def test_connection_ips_as_json_and_as_text(store_url: str) -> None:
    answers = get_all(
        store_url,
        "/v1/connection-ips",
        "/v1/connection-ips.txt",
        "/v1/connection-ips?format=text",
        "/v1/domains/example.com/connection-ips",
        "/v1/domains/example.com/connection-ips.txt",
        "/v1/domains/plain.example/connection-ips",
        "/v1/domains/plain.example/connection-ips.txt",
    )
    overall, txt, by_query, static, static_txt, plain, plain_txt = answers
    assert overall.json() == {"serial": 1, "ranges": list(RANGES)}
    text = "".join(f"{cidr}\n" for cidr in RANGES)
    for answer in (txt, by_query, static_txt):
        assert answer.headers["content-type"] == "text/plain; charset=utf-8"
        assert answer.text == text
    assert static.json() == {
        "serial": 1,
        "domain": "example.com",
        "use_static_ip_addresses": True,
        "ranges": list(RANGES),
    }
    # A domain without static IPs needs nothing let in.
    assert plain.json()["ranges"] == [] and plain.json()["use_static_ip_addresses"] is False
    assert plain_txt.text == ""
    assert overall.headers["etag"] != txt.headers["etag"]  # two representations
    assert overall.headers["vary"] == "Accept"


def test_text_by_accept_header(store_url: str) -> None:
    (text,) = get_all(store_url, "/v1/connection-ips", accept="text/plain")
    (both,) = get_all(store_url, "/v1/connection-ips", accept="application/json, text/plain")
    assert text.text.splitlines() == list(RANGES)
    assert both.json()["ranges"] == list(RANGES)


def test_if_none_match_gets_304_without_body(store_url: str) -> None:
    paths = (
        "/v1/domains",
        "/v1/domains/example.com",
        "/v1/settings?email=a@example.com",
        "/v1/connection-ips",
        "/v1/connection-ips.txt",
        "/v1/domains/example.com/connection-ips",
        "/mail/config-v1.1.xml?emailaddress=a@example.com",
        "/openapi.json",
    )

    async def go(c: httpx.AsyncClient) -> list[tuple[httpx.Response, httpx.Response]]:
        pairs = []
        for path in paths:
            first = await c.get(path)
            again = await c.get(path, headers={"if-none-match": f'W/"x", {first.headers["etag"]}'})
            pairs.append((first, again))
        return pairs

    for first, again in talk(store_url, go):
        assert first.status_code == 200
        assert again.status_code == 304, again.request.url
        assert again.content == b""
        assert again.headers["etag"] == first.headers["etag"]
        assert again.headers["cache-control"] == first.headers["cache-control"]
    (stale,) = get_all(store_url, "/v1/domains", **{"if-none-match": '"other-1.json"'})
    assert stale.status_code == 200


def test_unknown_and_malformed_names_are_refused_without_echo(store_url: str) -> None:
    hostile = "<script>alert(1)<script>"
    answers = get_all(
        store_url,
        "/v1/domains/nowhere.example",
        f"/v1/domains/{hostile}",
        "/v1/domains/nowhere.example/connection-ips.txt",
        "/v1/settings?email=alice@nowhere.example",
        f"/v1/settings?email={hostile}",
        "/v1/settings",
        "/v1/nowhere/<script>",
    )
    assert [a.status_code for a in answers] == [404, 400, 404, 404, 400, 400, 404]
    for answer in answers:
        assert answer.headers["content-type"] == "application/json"
        assert answer.headers["cache-control"] == "no-store"
        assert "nowhere" not in answer.text and "script" not in answer.text
        assert set(answer.json()) == {"error"}


def test_the_openapi_document_describes_what_is_sent(store_url: str) -> None:
    spec, settings, listed = get_all(
        store_url, "/openapi.json", "/v1/domains/example.com", "/v1/domains"
    )
    document = spec.json()
    assert document["openapi"].startswith("3.1")
    assert {"/v1/domains", "/v1/domains/{domain}", "/v1/settings", "/v1/connection-ips"} <= set(
        document["paths"]
    )
    schemas = document["components"]["schemas"]
    for name, answer in (("DomainSettings", settings), ("DomainList", listed)):
        schema = {**schemas[name], "components": {"schemas": schemas}}
        text = json.dumps(schema).replace("#/components/", "#/components/")
        jsonschema.validate(answer.json(), json.loads(text))
