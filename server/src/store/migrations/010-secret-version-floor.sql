-- Migration 009 started the personal key version counter past every version still stored, but a
-- key deleted before it may have reached a higher one, and its id can be created again: the new
-- key could then be given a version a client still holds for the old one. Before 009 a key's
-- version was 1 + its rotations and edits, and each of those writes appended one audit event on
-- its id in the same transaction (key.stored, key.rotated, key.updated; audit rows cannot be
-- deleted). The most such events on one id is therefore at least the highest version any key ever
-- had under that id: the counter starts past it too.
UPDATE secret_versions SET last = MAX(
  last,
  COALESCE((
    SELECT MAX(writes) FROM (
      SELECT COUNT(*) AS writes FROM audit_events
      WHERE action IN ('key.stored', 'key.rotated', 'key.updated')
      GROUP BY target
    )
  ), 0)
)
WHERE id = 1;
