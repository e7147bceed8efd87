"""Both feeds are valid documents, checked offline against schemas, not only readable by a
lenient parser: Atom against RFC 4287's RELAX NG schema and its Schematron rules, RSS against
a RELAX NG schema written from the RSS 2.0 specification (tests/api/schemas/)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from lxml import etree

from app.api.app import create_app
from app.config import Settings
from tests.api.conftest import Org, open_incident
from tests.api.test_status_page import SECRET, post

SCHEMAS = Path(__file__).parent / "schemas"
ATOM_NS = "http://www.w3.org/2005/Atom"
NS = {"atom": ATOM_NS}
PUBLIC_URL = "https://status.example.com"


def _relax_ng(name: str) -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMAS / name)))


ATOM = _relax_ng("atom.rng")
RSS = _relax_ng("rss2.rng")


def _rfc_rules() -> list[tuple[str, str, str]]:
    """The Schematron rules RFC 4287 puts in its schema: (context, test, message). RELAX NG
    validators skip them, so the test evaluates each with XPath."""
    schema = etree.parse(str(SCHEMAS / "atom.rng"))
    rules = []
    for rule in schema.iter("{http://www.ascc.net/xml/schematron}rule"):
        for check in rule.iter("{http://www.ascc.net/xml/schematron}assert"):
            rules.append((rule.get("context"), check.get("test"), check.text))
    return rules


def assert_valid_atom(content: bytes) -> etree._Element:
    document = etree.fromstring(content)
    assert ATOM.validate(document), ATOM.error_log
    rules = _rfc_rules()
    assert len(rules) == 3
    for context, test, message in rules:
        for node in document.xpath(f"//{context}", namespaces=NS) or []:
            assert node.xpath(f"boolean({test})", namespaces=NS), message
    return document


def assert_valid_rss(content: bytes) -> etree._Element:
    document = etree.fromstring(content)
    assert RSS.validate(document), RSS.error_log
    return document


def test_the_schemas_refuse_what_the_specifications_refuse() -> None:
    """The schemas are strict enough to fail: a feed without an id, an item with neither
    title nor description, a date that is not RFC 822, an entry with no author anywhere."""
    atom = f'<feed xmlns="{ATOM_NS}"><title>T</title><updated>2026-01-01T00:00:00Z</updated></feed>'
    assert not ATOM.validate(etree.fromstring(atom))
    rss = (
        '<rss version="2.0"><channel><title>T</title><link>/</link><description>D</description>'
        "{}</channel></rss>"
    )
    assert RSS.validate(etree.fromstring(rss.format("<item><title>I</title></item>")))
    assert not RSS.validate(etree.fromstring(rss.format("<item><link>/x</link></item>")))
    dated = "<item><title>I</title><pubDate>2026-01-01T00:00:00Z</pubDate></item>"
    assert not RSS.validate(etree.fromstring(rss.format(dated)))
    orphan = (
        f'<feed xmlns="{ATOM_NS}"><id>urn:x</id><title>T</title>'
        "<updated>2026-01-01T00:00:00Z</updated><entry><id>urn:y</id><title>E</title>"
        '<link href="/e"/><updated>2026-01-01T00:00:00Z</updated></entry></feed>'
    )
    with pytest.raises(AssertionError, match="must have an atom:author"):
        assert_valid_atom(orphan.encode())


async def _incidents(client: AsyncTestClient, org: Org) -> None:
    """A resolved incident with a redaction, and an open one with Markdown, an internal note
    and a control character."""
    resolved = await open_incident(client, org)
    leaked = await post(client, org, resolved, {"visibility": "public", "body": "Card 4111"})
    await client.post(
        f"/v1/incidents/{resolved['id']}/updates/{leaked['id']}/redact", headers=org.headers
    )
    await post(
        client, org, resolved, {"visibility": "public", "body": "Done.", "statusChange": "resolved"}
    )
    response = await client.post(
        "/v1/incidents",
        json={"title": "Bell\x07 & <rings>", "severity": "minor", "componentIds": [org.payments]},
        headers=org.headers,
    )
    incident = response.json()["data"]
    await post(
        client, org, incident, {"visibility": "public", "body": "**Slow** <b>pages</b>\x0b."}
    )
    await post(client, org, incident, {"visibility": "internal", "body": SECRET})


@pytest.fixture(params=["relative", "public url"])
async def feed_client(
    request: pytest.FixtureRequest, database: str, redis_url: str
) -> AsyncIterator[tuple[AsyncTestClient, str]]:
    """Without PUBLIC_URL links are paths; with it, absolute addresses."""
    base = PUBLIC_URL if request.param == "public url" else ""
    settings = Settings(database_url=database, redis_url=redis_url, public_url=base or None)
    async with AsyncTestClient(create_app(settings)) as client:
        yield client, base


async def test_the_atom_feed_is_valid_rfc_4287_with_authors_and_a_self_link(
    feed_client: tuple[AsyncTestClient, str], org: Org
) -> None:
    client, base = feed_client
    empty = await client.get("/status/acme/history.atom")
    assert_valid_atom(empty.content)
    await _incidents(client, org)
    document = assert_valid_atom((await client.get("/status/acme/history.atom")).content)
    [self_link] = document.xpath("atom:link[@rel='self']/@href", namespaces=NS)
    assert self_link == f"{base}/status/acme/history.atom"
    assert document.xpath("atom:link[@rel='alternate']/@href", namespaces=NS) == [
        f"{base}/status/acme"
    ]
    entries = document.xpath("atom:entry", namespaces=NS)
    assert len(entries) == 2
    for entry in entries:
        assert entry.xpath("atom:author/atom:name/text()", namespaces=NS) == ["Acme"]
        [link] = entry.xpath("atom:link/@href", namespaces=NS)
        [entry_id] = entry.xpath("atom:id/text()", namespaces=NS)
        assert link.startswith(f"{base}/status/acme/incidents/")
        assert entry_id == (link if base else f"urn:uuid:{link.rsplit('/', 1)[1]}")


async def test_the_rss_feed_is_valid_rss_2_with_a_self_link(
    feed_client: tuple[AsyncTestClient, str], org: Org
) -> None:
    client, base = feed_client
    assert_valid_rss((await client.get("/status/acme/history.rss")).content)
    await _incidents(client, org)
    document = assert_valid_rss((await client.get("/status/acme/history.rss")).content)
    [self_link] = document.xpath(
        "channel/atom:link[@rel='self']/@href", namespaces={"atom": ATOM_NS}
    )
    assert self_link == f"{base}/status/acme/history.rss"
    assert document.xpath("channel/link/text()") == [f"{base}/status/acme"]
    links = document.xpath("channel/item/link/text()")
    assert len(links) == 2
    assert all(link.startswith(f"{base}/status/acme/incidents/") for link in links)
