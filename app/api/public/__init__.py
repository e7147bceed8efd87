"""Public surfaces of published status pages: HTML, Statuspage-compatible JSON, feeds."""
