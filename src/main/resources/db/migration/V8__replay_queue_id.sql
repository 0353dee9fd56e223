-- Which transaction claimed a signature: a transaction that ends deferred releases its claim, so the
-- client's retry of the same signed message is not taken for a replay (a transient fault never bounces).
ALTER TABLE seen_signatures ADD COLUMN queue_id VARCHAR(32);
CREATE INDEX seen_signatures_queue_id ON seen_signatures(queue_id);
