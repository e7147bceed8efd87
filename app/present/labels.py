"""The words every public surface uses for a status, and for a redacted update."""

from __future__ import annotations

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
