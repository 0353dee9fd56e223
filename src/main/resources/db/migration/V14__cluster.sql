-- State every node of a cluster shares. shared_secrets: keys that must be the same on every node (the
-- storage seal key, which lets any node recognise a copy another node stored); job_runs: when a singleton
-- job (retention purges) last ran, and where, so that it runs on one node per interval.
CREATE TABLE shared_secrets (
    name        VARCHAR(64)  NOT NULL PRIMARY KEY,
    secret      ${binary}    NOT NULL,
    created_at  TIMESTAMP    NOT NULL
);

CREATE TABLE job_runs (
    job         VARCHAR(64)  NOT NULL PRIMARY KEY,
    last_run    TIMESTAMP    NOT NULL,
    node        VARCHAR(300) NOT NULL
);

-- A node about to generate a key for an address claims it here first, so two nodes meeting the same new
-- recipient at once make one key, not two; a claim older than a minute (its node died) is taken over.
CREATE TABLE key_generation (
    email       VARCHAR(320) NOT NULL PRIMARY KEY,
    claimed_at  TIMESTAMP    NOT NULL
);
