"""PostgreSQL adapters: the event log, update bodies, projections, the catalog."""
