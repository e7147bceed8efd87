"""The soak's clients: asyncio tasks sending a random mix of commands and page reads.

Every write carries an Idempotency-Key and goes again, with the same key and the same bytes,
after a transport error, a 5xx or a 409 "still in flight", for a bounded time. So each command
ends acknowledged (2xx), refused (another 4xx: a rule said no) or unknown (the client gave up).
The journal keeps every command and every answer with its time, for the audit. Each update's
body carries a marker of its own, so the audit can find its text wherever it turns up.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from typing import Literal

import httpx
import msgspec

from app.domain.values import STATUS_ORDER

MARKER = re.compile(r"soak-[0-9a-f]{32}")
TAKE_BACK = 0.25  # the share of notifying updates redacted right after they are posted
GIVE_UP = 60.0  # seconds a command is retried; an API restart takes a few
REQUEST_TIMEOUT = 20.0
STATES = ("degraded_performance", "partial_outage", "full_outage", "operational")

Kind = Literal["open", "public", "internal", "status", "redact"]
Outcome = Literal["acked", "refused", "unknown"]


class Command(msgspec.Struct, kw_only=True):
    kind: Kind
    key: str
    path: str
    body: bytes
    text: str | None = None  # the update's body as sent
    marker: str | None = None
    incident_id: str | None = None
    target: str | None = None  # the update a redaction takes back
    visibility: str | None = None
    notify: bool = False
    status_change: str | None = None
    sent_at: float = 0.0
    outcome: Outcome = "unknown"
    answered_at: float | None = None  # when it was acknowledged or refused
    resource_id: str | None = None  # the incident or update the API answered with
    error_code: str | None = None


class Answer(msgspec.Struct, frozen=True):
    """One HTTP exchange; status 0 when no answer came (connection refused, reset, timeout)."""

    started: float
    ended: float
    what: str
    status: int


class Read(msgspec.Struct, frozen=True):
    started: float
    what: str
    status: int
    markers: tuple[str, ...]  # every update marker the page showed


class Journal(msgspec.Struct):
    commands: list[Command] = msgspec.field(default_factory=list)
    answers: list[Answer] = msgspec.field(default_factory=list)
    reads: list[Read] = msgspec.field(default_factory=list)


class Known(msgspec.Struct, kw_only=True):
    """What the clients know of an incident; only its owner changes its status."""

    id: str
    owner: int
    status: str = "investigating"
    components: list[str]
    live: bool = True  # False once resolved, or once its state is in doubt


def _marker() -> str:
    return f"soak-{uuid.uuid4().hex}"


class Load:
    """The clients' shared view: incidents, updates that may be redacted, the notify budget."""

    def __init__(
        self,
        *,
        api_url: str,
        key: str,
        slug: str,
        components: list[str],
        seed: int,
        notify_interval: float,
    ) -> None:
        self.api_url = api_url
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self.slug = slug
        self.components = components
        self.seed = seed
        self.notify_interval = notify_interval
        self.next_notify = 0.0
        self.incidents: dict[str, Known] = {}
        self.redactable: list[tuple[str, str]] = []  # (incident, update) of acked public updates
        self.journal = Journal()

    def _notify(self) -> bool:
        """One notifying update per interval at most: 1,000 webhooks each is what costs."""
        now = time.time()
        if now < self.next_notify:
            return False
        self.next_notify = now + self.notify_interval
        return True

    async def _send(self, http: httpx.AsyncClient, command: Command) -> Command:
        self.journal.commands.append(command)
        command.sent_at = time.time()
        headers = {**self.headers, "Idempotency-Key": command.key}
        delay = 0.1
        while True:
            started = time.time()
            status, data = 0, None
            try:
                response = await http.post(
                    self.api_url + command.path, content=command.body, headers=headers
                )
                status = response.status_code
                data = response.json() if response.content else None
            except (httpx.TransportError, ValueError):
                pass
            ended = time.time()
            self.journal.answers.append(Answer(started, ended, command.kind, status))
            code = (data or {}).get("error", {}).get("code") if isinstance(data, dict) else None
            if 200 <= status < 300:
                command.outcome, command.answered_at = "acked", ended
                command.resource_id = data["data"]["id"]
                return command
            retry = status in (0, 429) or status >= 500 or code == "idempotency_key_in_flight"
            if not retry:
                command.outcome, command.answered_at, command.error_code = "refused", ended, code
                return command
            if ended - command.sent_at > GIVE_UP:
                return command
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _open(self, http: httpx.AsyncClient, rng: random.Random, owner: int) -> None:
        components = rng.sample(self.components, rng.randint(1, 2))
        body = {
            "title": f"Soak incident {rng.randrange(10**6)}",
            "severity": rng.choice(["minor", "major", "critical"]),
            "componentIds": components,
        }
        command = await self._send(
            http,
            Command(kind="open", key=str(uuid.uuid4()), path="/v1/incidents", body=_json(body)),
        )
        if command.outcome == "acked":
            assert command.resource_id is not None
            self.incidents[command.resource_id] = Known(
                id=command.resource_id, owner=owner, components=components
            )

    async def _update(
        self,
        http: httpx.AsyncClient,
        rng: random.Random,
        incident: Known,
        *,
        kind: Kind,
        status_change: str | None = None,
    ) -> None:
        public = kind != "internal"
        marker = _marker()
        text = (
            f"Update {marker}: we are looking into elevated error rates."
            if public
            else f"Internal note {marker}: suspect the cache cluster."
        )
        body: dict = {"visibility": "public" if public else "internal", "body": text}
        notify = public and self._notify()
        body["notifySubscribers"] = notify
        if status_change is not None:
            body["statusChange"] = status_change
        if public and status_change != "resolved" and rng.random() < 0.4:
            body["componentStatuses"] = [
                {"componentId": rng.choice(incident.components), "status": rng.choice(STATES)}
            ]
        command = await self._send(
            http,
            Command(
                kind=kind,
                key=str(uuid.uuid4()),
                path=f"/v1/incidents/{incident.id}/updates",
                body=_json(body),
                text=text,
                marker=marker,
                incident_id=incident.id,
                visibility=body["visibility"],
                notify=notify,
                status_change=status_change,
            ),
        )
        if command.outcome == "acked" and public:
            assert command.resource_id is not None
            if notify and rng.random() < TAKE_BACK:
                # Taken back at once, while its fan-out is under way (a second or so here).
                await asyncio.sleep(rng.uniform(0.0, 1.5))
                await self._redact(http, (incident.id, command.resource_id))
            else:
                self.redactable.append((incident.id, command.resource_id))
        if status_change is not None:
            if command.outcome == "acked":
                incident.status = status_change
            # Resolved, or its status is in doubt: no client uses it again.
            incident.live = command.outcome == "acked" and status_change != "resolved"

    async def _redact(self, http: httpx.AsyncClient, update: tuple[str, str]) -> None:
        incident_id, update_id = update
        await self._send(
            http,
            Command(
                kind="redact",
                key=str(uuid.uuid4()),
                path=f"/v1/incidents/{incident_id}/updates/{update_id}/redact",
                body=b"",
                incident_id=incident_id,
                target=update_id,
            ),
        )

    async def _read(self, http: httpx.AsyncClient, rng: random.Random) -> None:
        what, path = rng.choice(
            [
                ("page", f"/status/{self.slug}"),
                ("summary", f"/status/{self.slug}/api/v2/summary.json"),
            ]
        )
        started = time.time()
        try:
            response = await http.get(self.api_url + path)
            status, markers = response.status_code, tuple(set(MARKER.findall(response.text)))
        except httpx.TransportError:
            status, markers = 0, ()
        self.journal.answers.append(Answer(started, time.time(), what, status))
        self.journal.reads.append(Read(started, what, status, markers))

    async def _act(self, http: httpx.AsyncClient, rng: random.Random, n: int) -> None:
        live = [i for i in self.incidents.values() if i.live]
        mine = [i for i in live if i.owner == n]
        roll = rng.random()
        if not mine or (len(mine) < 2 and roll < 0.1):
            await self._open(http, rng, n)
        elif roll < 0.35:
            await self._read(http, rng)
        elif roll < 0.6:
            await self._update(http, rng, rng.choice(live), kind="public")
        elif roll < 0.76:
            incident = rng.choice(live)
            # An internal status change shows publicly as a bare transition row.
            change = _next_status(incident) if incident.owner == n and rng.random() < 0.3 else None
            await self._update(http, rng, incident, kind="internal", status_change=change)
        elif roll < 0.92:
            incident = rng.choice(mine)
            await self._update(
                http, rng, incident, kind="status", status_change=_next_status(incident)
            )
        elif self.redactable:
            await self._redact(http, self.redactable.pop(rng.randrange(len(self.redactable))))
        else:
            await self._read(http, rng)

    async def client(self, n: int, until: float) -> None:
        """Act, think a little, again, until `until`; the last command is seen to its end."""
        rng = random.Random(self.seed * 1009 + n)
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as http:
            while time.time() < until:
                await self._act(http, rng, n)
                await asyncio.sleep(rng.uniform(0.1, 0.6))


def _next_status(incident: Known) -> str:
    return STATUS_ORDER[STATUS_ORDER.index(incident.status) + 1]  # type: ignore[arg-type]


def _json(body: dict) -> bytes:
    # Encoded once: a retry must send the very same bytes, or the key's fingerprint differs.
    return msgspec.json.encode(body)
