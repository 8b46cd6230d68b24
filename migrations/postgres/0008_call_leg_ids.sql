-- The legs merged into each call (sorted hex ids, comma-separated): legs of
-- one call read from several files or batches are counted once each.
ALTER TABLE calls ADD COLUMN leg_ids TEXT NOT NULL DEFAULT '';
