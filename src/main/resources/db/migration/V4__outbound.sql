-- Outbound: signatures already seen on relay-key messages (replay cache), keyed by SHA-256 of the
-- signature; entries older than twice the signature window are purged.
CREATE TABLE seen_signatures (
    digest   VARCHAR(64) NOT NULL PRIMARY KEY,
    seen_at  TIMESTAMP   NOT NULL
);
CREATE INDEX seen_signatures_seen_at ON seen_signatures(seen_at);
