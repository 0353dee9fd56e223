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
