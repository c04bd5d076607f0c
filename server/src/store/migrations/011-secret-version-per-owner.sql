-- Key versions per owner: each user's personal keys take their versions from a counter of that
-- user's own, and each organization's keys from one of the organization's. With one counter for
-- the whole companion (migrations 008 and 009) the gap between two versions of one key told its
-- owner how many key writes all other users and organizations made in between.
-- A new counter starts past the old shared one, which keeps its value as that floor and is not
-- counted any more. So a version is still never given twice to keys of one owner, not even to a
-- key created again under a deleted key's id; and a counter goes when its owner does.
CREATE TABLE secret_version_counters (
  user_id  TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  last     INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE org_secret_version_counters (
  org_id   TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  last     INTEGER NOT NULL
) WITHOUT ROWID;
