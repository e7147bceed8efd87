"""The words every public surface uses for a status, an uptime, and a redacted update."""

from __future__ import annotations

import math

STATUS_LABELS = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "full_outage": "Full outage",
    "under_maintenance": "Under maintenance",
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "verifying": "Verifying",
    "completed": "Completed",
}

# What every public surface shows in place of a redacted update's body.
REDACTED_NOTICE = "This update was redacted."


def uptime_percent(percent: float | None) -> str:
    """ "99.98%": rounded down, so that a day with any downtime never reads 100%."""
    if percent is None:
        return "No data"
    return f"{math.floor(percent * 100) / 100:.2f}%"
