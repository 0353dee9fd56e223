-- MTA-STS policies of recipient domains (RFC 8461 §5.1), kept until their max_age runs out: a restart (or
-- another node) still enforces a policy it saw, so an attacker who blocks the policy fetch gets no downgrade.
CREATE TABLE mta_sts_policies (
    domain      VARCHAR(255)   PRIMARY KEY,
    policy_id   VARCHAR(64)    NOT NULL,
    policy      VARCHAR(65536) NOT NULL,
    expires     BIGINT         NOT NULL
);
