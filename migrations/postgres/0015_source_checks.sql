-- When each source was last pulled whole, with or without anything new:
-- the digest names a source whose last pull is older than its schedule
-- (a PBX or CRM that stopped answering, or a pull that keeps failing).
CREATE TABLE source_checks (
    source    TEXT PRIMARY KEY,
    pulled_at BIGINT NOT NULL
);
