-- Derived PDF passwords: each recipient's secret, sealed under the master key (aad: the address).
CREATE TABLE pdf_secrets (
    email         VARCHAR(320) NOT NULL PRIMARY KEY,
    sealed_secret ${binary}    NOT NULL,
    created_at    TIMESTAMP    NOT NULL
);
