"""The soak's audit: the event log, the delivery rows and the receiver's records against what the
clients were told, as pure checks over evidence gathered once the system has settled.

Redacted text, precisely. A webhook body is the incident as the notified update V left it: the
public timeline through V, with any redaction that committed before the worker read the log
applied, and the bodies that still existed when it read them (load_notice: the stream first,
then the bodies, in two statements). So a payload proves the worker had seen the stream at least
up to the latest of: V's UpdatePosted, and every redaction it shows applied. Each redaction at or
below that version had deleted its body in the same transaction, before the bodies were read:
its text in that payload is a leak. This covers every update posted after a redaction (V's own
version is above it) and any delivery of the redacted update that shows a later redaction. A
delivery of the redacted update that shows nothing later was built from a body read before the
redaction committed, and may legitimately arrive after it was acknowledged (an in-flight send):
those are counted for information only; the log cannot say more about when the body was read.
What the worker does promise is that no message stamped (meta.generated_at) after a redaction
committed carries its text: the acknowledgement comes after the commit, so a message stamped
after the acknowledgement and carrying the text breaks that promise.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from uuid import UUID

import msgspec

from app.domain.events import IncidentOpened, UpdatePosted, UpdateRedacted
from app.domain.notifications import idempotency_key
from bench.soak_chaos import Window
from bench.soak_evidence import Evidence, Logged, Receipt
from bench.soak_load import Command, Journal


class Check(msgspec.Struct, frozen=True):
    name: str
    figure: str
    ok: bool


def _heads(log: Iterable[Logged]) -> dict[str | None, list[Logged]]:
    """The event that says what each request did, by its Idempotency-Key."""
    heads: dict[str | None, list[Logged]] = defaultdict(list)
    for item in log:
        if isinstance(item.event, IncidentOpened | UpdatePosted | UpdateRedacted):
            heads[item.key].append(item)
    return heads


def _stored_as_acked(command: Command, item: Logged) -> bool:
    event = item.event
    match command.kind:
        case "open":
            return isinstance(event, IncidentOpened) and str(event.incident_id) == (
                command.resource_id
            )
        case "redact":
            return (
                isinstance(event, UpdateRedacted)
                and str(event.update_id) == command.target == command.resource_id
                and item.stream_id == command.incident_id
            )
        case _:
            return (
                isinstance(event, UpdatePosted)
                and str(event.update_id) == command.resource_id
                and item.stream_id == command.incident_id
                and event.visibility == command.visibility
                and event.notify_subscribers == command.notify
                and event.status_change == command.status_change
            )


def check_commands(journal: Journal, evidence: Evidence) -> tuple[list[Check], list[str]]:
    heads = _heads(evidence.log)
    redacted = {str(i.event.update_id) for i in evidence.log if isinstance(i.event, UpdateRedacted)}
    ours = {c.key for c in journal.commands}
    lines, stored_total, acked_total = [], 0, 0
    twice = sum(len(items) > 1 for items in heads.values())
    strangers = sum(len(items) for key, items in heads.items() if key not in ours)
    wrong_body = 0
    for kind in ("open", "public", "internal", "status", "redact"):
        commands = [c for c in journal.commands if c.kind == kind]
        outcomes = Counter(c.outcome for c in commands)
        acked = [c for c in commands if c.outcome == "acked"]
        stored = sum(
            len(heads.get(c.key, [])) == 1 and _stored_as_acked(c, heads[c.key][0]) for c in acked
        )
        refused_stored = sum(bool(heads.get(c.key)) for c in commands if c.outcome == "refused")
        unknown_stored = sum(bool(heads.get(c.key)) for c in commands if c.outcome == "unknown")
        codes = Counter(c.error_code for c in commands if c.outcome == "refused")
        for c in acked:
            if c.text is not None and c.resource_id not in redacted:
                wrong_body += evidence.bodies.get(c.resource_id or "") != c.text
        stored_total += stored
        acked_total += len(acked)
        lines.append(
            f"  {kind:<9} acked {len(acked):>5}, stored {stored:>5}; refused {outcomes['refused']}"
            f" (stored {refused_stored}) {dict(codes) or ''}; unknown {outcomes['unknown']}"
            f" (stored {unknown_stored})"
        )
    refused = sum(bool(heads.get(c.key)) for c in journal.commands if c.outcome == "refused")
    checks = [
        Check(
            "acknowledged commands in the log",
            f"{acked_total} acked / {stored_total} stored",
            acked_total == stored_total,
        ),
        Check("refused commands in the log", str(refused), refused == 0),
        Check("commands applied more than once", str(twice), twice == 0),
        Check("events no client asked for", str(strangers), strangers == 0),
        Check("acked update bodies not stored as sent", str(wrong_body), wrong_body == 0),
    ]
    return checks, lines


def _notifying(log: Iterable[Logged]) -> set[str]:
    return {
        str(i.event.update_id)
        for i in log
        if isinstance(i.event, UpdatePosted)
        and i.event.visibility == "public"
        and i.event.notify_subscribers
    }


def check_deliveries(evidence: Evidence) -> tuple[list[Check], list[str]]:
    notifying = _notifying(evidence.log)
    redacted = {str(i.event.update_id) for i in evidence.log if isinstance(i.event, UpdateRedacted)}
    subscribers = set(evidence.subscribers.values())
    # A redacted update is owed to nobody; what was delivered of it before must have arrived.
    eligible = {(s, u) for u in notifying - redacted for s in subscribers}
    eligible |= {
        (s, u) for s, u, status in evidence.rows if u in redacted and status == "delivered"
    }
    received = {(evidence.subscribers.get(r.path, r.path), r.update_id) for r in evidence.receipts}
    missing = eligible - received
    owed = {(s, u) for u in notifying for s in subscribers}
    unexpected = received - owed
    unsigned = sum(not r.signed for r in evidence.receipts)
    statuses = Counter(status for _, _, status in evidence.rows)
    delivered = {(s, u) for s, u, status in evidence.rows if status == "delivered"}
    lines = [
        f"  notifying updates {len(notifying)} ({len(notifying & redacted)} redacted later),"
        f" subscribers {len(subscribers)}; delivery rows {dict(statuses)},"
        f" {evidence.retried} attempted more than once",
        f"  receiver records {len(evidence.receipts)} (+{evidence.malformed} malformed),"
        f" {len(received)} distinct (subscriber, update); {len(received - delivered)} of them"
        " arrived though their row is not 'delivered' (fine only when a worker was killed"
        " before recording the answer and the update was redacted before a retry)",
    ]
    given_up = statuses["failed"] + statuses["dead"]
    checks = [
        Check(
            "eligible notifications received",
            f"{len(eligible)} eligible / {len(eligible & received)} received,"
            f" {len(missing)} missing",
            not missing,
        ),
        Check("messages nobody was owed", str(len(unexpected)), not unexpected),
        Check(
            "messages without a valid signature",
            str(unsigned + evidence.malformed),
            unsigned + evidence.malformed == 0,
        ),
        Check("deliveries given up (failed or dead)", str(given_up), given_up == 0),
        _check_order(evidence, redacted),
    ]
    return checks, lines


def _check_order(evidence: Evidence, redacted: set[str]) -> Check:
    """A subscriber hears of updates in the order they were posted (app/store/delivery_jobs.py):
    each message first arrives after the one before it. A redacted update is left out: its row
    is cancelled while its message may still be on the way, and the next one need not wait."""
    first: dict[tuple[str, str], float] = {}
    for r in evidence.receipts:
        pair = (evidence.subscribers.get(r.path, r.path), r.update_id)
        first[pair] = min(first.get(pair, r.at), r.at)
    last: dict[str, float] = {}
    overtaken = 0
    for subscriber, update_id, _ in evidence.rows:
        at = first.get((subscriber, update_id))
        if update_id in redacted or at is None:
            continue
        overtaken += at < last.get(subscriber, 0.0)
        last[subscriber] = max(at, last.get(subscriber, 0.0))
    return Check("messages that overtook an earlier update", str(overtaken), overtaken == 0)


def _expected_key(evidence: Evidence, receipt: Receipt) -> str | None:
    subscriber = evidence.subscribers.get(receipt.path)
    if subscriber is None:
        return None
    return idempotency_key(UUID(receipt.update_id), UUID(subscriber))


def check_duplicates(evidence: Evidence) -> tuple[list[Check], list[str]]:
    keys: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in evidence.receipts:
        keys[(r.path, r.update_id)].append(r.key)
    duplicates = sum(len(k) - 1 for k in keys.values())
    changed = sum(len(k) - k.count(k[0]) for k in keys.values())
    # The key is the contract with receivers: one per (update, subscriber), whatever happens.
    foreign = sum(r.key != _expected_key(evidence, r) for r in evidence.receipts)
    checks = [
        Check(
            "duplicate sends with a new Idempotency-Key",
            f"{duplicates} duplicates, {changed} with a new key",
            changed == 0,
        ),
        Check("messages whose key is not (update, subscriber)'s", str(foreign), foreign == 0),
    ]
    return checks, []


def check_leaks(journal: Journal, evidence: Evidence) -> tuple[list[Check], list[str]]:
    markers = {c.resource_id: c.marker for c in journal.commands if c.marker and c.resource_id}
    # An update whose command was never acknowledged may still be in the log: find its marker
    # through the key its event carries.
    by_key = {c.key: c.marker for c in journal.commands if c.marker}
    posted_at: dict[str, int] = {}
    redacted_at: dict[str, int] = {}
    redactions: dict[str, list[tuple[int, str]]] = defaultdict(list)  # incident -> (version, id)
    for item in evidence.log:
        event = item.event
        if isinstance(event, UpdatePosted):
            posted_at[str(event.update_id)] = item.version
            if item.key in by_key:
                markers.setdefault(str(event.update_id), by_key[item.key])
        elif isinstance(event, UpdateRedacted):
            redacted_at[str(event.update_id)] = item.version
            redactions[item.stream_id].append((item.version, str(event.update_id)))
    internal = {c.marker for c in journal.commands if c.kind == "internal" and c.marker}
    acked_redaction = {
        c.target: c.answered_at
        for c in journal.commands
        if c.kind == "redact" and c.outcome == "acked"
    }
    leaks = internal_leaks = in_flight = carrying = stamped_late = 0
    latest = 0.0  # seconds from a redaction's acknowledgement to the last message with its text
    for r in evidence.receipts:
        internal_leaks += bool(r.markers & internal)
        seen = max(
            [posted_at.get(r.update_id, 0)]
            + [redacted_at[u] for u in r.shown_redacted if u in redacted_at]
        )
        taken_back = [
            (version, update_id)
            for version, update_id in redactions.get(r.incident_id, [])
            if markers.get(update_id) in r.markers
        ]
        carrying += bool(taken_back)
        leaks += any(version <= seen for version, _ in taken_back)
        late = [
            r.at - answered
            for _, update_id in taken_back
            if (answered := acked_redaction.get(update_id)) is not None and r.at > answered
        ]
        in_flight += bool(late)
        stamped_late += any(
            (answered := acked_redaction.get(update_id)) is not None and r.generated_at > answered
            for _, update_id in taken_back
        )
        latest = max([latest, *late])
    page_leaks = 0
    redacted_markers = {markers.get(u): acked_redaction.get(u) for u in redacted_at}
    for read in journal.reads:
        for marker in read.markers:
            answered = redacted_markers.get(marker)
            page_leaks += marker in internal or (answered is not None and read.started > answered)
    lines = [
        f"  {carrying} messages carried text redacted later, {leaks} of them built after the"
        f" redaction; {in_flight} arrived after the redaction was acknowledged (in flight),"
        f" the last {latest:.2f} s after"
    ]
    checks = [
        Check("internal text received", str(internal_leaks), internal_leaks == 0),
        Check("redacted text received after its redaction", str(leaks), leaks == 0),
        Check(
            "redacted text stamped after its redaction was acknowledged",
            str(stamped_late),
            stamped_late == 0,
        ),
        Check("internal or redacted text on public pages", str(page_leaks), page_leaks == 0),
    ]
    return checks, lines


def check_errors(journal: Journal, windows: list[Window]) -> tuple[list[Check], list[str]]:
    # Only a restarting API may leave a request unanswered or end it with a 5xx: the rate
    # limiter goes without Redis, and the worker is no excuse.
    restarts = [w for w in windows if w.dependency == "api"]

    def during_restart(started: float, ended: float) -> bool:
        return any(w.start <= ended and started <= w.end for w in restarts)

    errors = [a for a in journal.answers if a.status >= 500]
    outside = [a for a in errors if not during_restart(a.started, a.ended)]
    unanswered = [a for a in journal.answers if a.status == 0]
    stray = [a for a in unanswered if not during_restart(a.started, a.ended)]
    statuses = Counter(a.status for a in journal.answers)
    lines = [
        f"  {len(journal.answers)} answers {dict(sorted(statuses.items()))};"
        f" {len(errors)} 5xx and {len(unanswered)} unanswered in all",
    ]
    checks = [
        Check("5xx answers outside an API restart", str(len(outside)), not outside),
        Check("requests unanswered outside an API restart", str(len(stray)), not stray),
    ]
    return checks, lines


def check_projections(evidence: Evidence) -> tuple[list[Check], list[str]]:
    differ = evidence.projections_differ
    figure = f"{evidence.projection_rows} rows, " + (
        "identical after a rebuild" if not differ else f"differ in {', '.join(differ)}"
    )
    return [Check("projections rebuilt from the log", figure, not differ)], []


def audit(
    journal: Journal, evidence: Evidence, windows: list[Window]
) -> tuple[list[Check], list[str]]:
    checks: list[Check] = []
    lines: list[str] = []
    for found, said in (
        check_commands(journal, evidence),
        check_deliveries(evidence),
        check_duplicates(evidence),
        check_leaks(journal, evidence),
        check_errors(journal, windows),
        check_projections(evidence),
    ):
        checks += found
        lines += said
    return checks, lines


def table(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    figures = max(len(c.figure) for c in checks)
    rows = [f"{'invariant':<{width}}  {'figure':<{figures}}  ok", "-" * (width + figures + 6)]
    rows += [f"{c.name:<{width}}  {c.figure:<{figures}}  {'yes' if c.ok else 'NO'}" for c in checks]
    return "\n".join(rows)
