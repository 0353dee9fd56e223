-- Keys kept in a PKCS#11 token: which stored certificate (S/MIME), OpenPGP key or CA key uses which token alias.
CREATE TABLE token_keys (
    fingerprint VARCHAR(64)  NOT NULL PRIMARY KEY,
    kind        VARCHAR(16)  NOT NULL,
    alias       VARCHAR(128) NOT NULL,
    created_at  TIMESTAMP    NOT NULL
);
