-- Organization keys get the version personal keys have (README, "HTTP"): every rotation bumps it,
-- and what a provider says about a key (an enrichment's 401) lands only on the version that was
-- sent. Without it, a rejection of the old key that answered after an admin's rotation marked the
-- new key invalid. Existing rows start at 1, as personal keys did.
ALTER TABLE org_secrets ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
