-- When a page last changed counts an incident's edits (app/store/public_reads.py): each
-- incident's are found along this index, however long its history.
CREATE INDEX IF NOT EXISTS events_incident_edits ON events (stream_id)
    WHERE type = 'IncidentEdited';
