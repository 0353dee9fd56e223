-- S/MIME: user certificates (with sealed private keys where the gateway holds them), chain
-- certificates from imports, and the built-in CA with its revocations.
CREATE TABLE smime_certs (
    fingerprint       VARCHAR(64)   NOT NULL PRIMARY KEY,
    subject           VARCHAR(1024) NOT NULL,
    issuer            VARCHAR(1024) NOT NULL,
    serial            VARCHAR(100)  NOT NULL,
    not_before        TIMESTAMP     NOT NULL,
    not_after         TIMESTAMP     NOT NULL,
    algorithm         VARCHAR(40)   NOT NULL,
    issued_by_gateway BOOLEAN       NOT NULL,
    imported_at       TIMESTAMP     NOT NULL,
    cert              ${binary}     NOT NULL
);

CREATE TABLE smime_cert_emails (
    fingerprint VARCHAR(64)  NOT NULL REFERENCES smime_certs(fingerprint) ON DELETE CASCADE,
    email       VARCHAR(320) NOT NULL,
    PRIMARY KEY (fingerprint, email)
);
CREATE INDEX smime_cert_emails_email ON smime_cert_emails(email);

CREATE TABLE smime_private_keys (
    fingerprint VARCHAR(64) NOT NULL PRIMARY KEY REFERENCES smime_certs(fingerprint) ON DELETE CASCADE,
    sealed      ${binary}   NOT NULL,
    created_at  TIMESTAMP   NOT NULL
);

CREATE TABLE smime_chain_certs (
    fingerprint VARCHAR(64) NOT NULL PRIMARY KEY,
    cert        ${binary}   NOT NULL
);

CREATE TABLE ca (
    id          INT         NOT NULL PRIMARY KEY,
    cert        ${binary}   NOT NULL,
    sealed_key  ${binary}   NOT NULL,
    crl_number  BIGINT      NOT NULL,
    created_at  TIMESTAMP   NOT NULL
);

CREATE TABLE ca_revoked (
    serial      VARCHAR(100) NOT NULL PRIMARY KEY,
    fingerprint VARCHAR(64)  NOT NULL,
    revoked_at  TIMESTAMP    NOT NULL
);
