-- DKIM signing keys per domain and selector. name is the key's DNS name (selector._domainkey.domain) and
-- the aad of its sealed private key. state: published (in DNS, not signing yet), active (signs), retired
-- (signs no more; keep it in DNS until mail signed with it has been delivered).
CREATE TABLE dkim_keys (
    name        VARCHAR(320) NOT NULL PRIMARY KEY,
    domain      VARCHAR(255) NOT NULL,
    selector    VARCHAR(63)  NOT NULL,
    algorithm   VARCHAR(20)  NOT NULL,
    public_key  ${binary}    NOT NULL,
    sealed_key  ${binary}    NOT NULL,
    state       VARCHAR(10)  NOT NULL,
    created_at  TIMESTAMP    NOT NULL
);
CREATE INDEX dkim_keys_domain ON dkim_keys(domain);
