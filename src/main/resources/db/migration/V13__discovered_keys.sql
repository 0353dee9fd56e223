-- Keys found outside the store for outbound recipients (WKD, OPENPGPKEY, SMIMEA): where each came from and
-- when it was last seen (kind: openpgp or smime; key_data: the public key or certificate as found).
CREATE TABLE discovered_keys (
    email       VARCHAR(320) NOT NULL,
    kind        VARCHAR(10)  NOT NULL,
    fingerprint VARCHAR(64)  NOT NULL,
    source      VARCHAR(600) NOT NULL,
    key_data    ${binary}    NOT NULL,
    seen_at     TIMESTAMP    NOT NULL,
    PRIMARY KEY (email, kind)
);

-- Pins for recipient domains under the "pinned" policy: the first key seen is kept; a different key offered
-- later waits here (offered_*) until the admin accepts it.
CREATE TABLE key_pins (
    email              VARCHAR(320) NOT NULL PRIMARY KEY,
    fingerprint        VARCHAR(64)  NOT NULL,
    source             VARCHAR(600) NOT NULL,
    pinned_at          TIMESTAMP    NOT NULL,
    offered_fingerprint VARCHAR(64),
    offered_source     VARCHAR(600),
    offered_at         TIMESTAMP
);
