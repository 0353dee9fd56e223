-- Key store: OpenPGP certificates (public), secret keys (sealed under the master key), per-user policy.
CREATE TABLE master_key (
    id          INT          NOT NULL PRIMARY KEY,
    salt        ${binary}    NOT NULL,
    memory_kib  INT          NOT NULL,
    iterations  INT          NOT NULL,
    verifier    ${binary}    NOT NULL
);

CREATE TABLE pgp_certs (
    fingerprint     VARCHAR(64)  NOT NULL PRIMARY KEY,
    algorithm       VARCHAR(40)  NOT NULL,
    created_at      TIMESTAMP    NOT NULL,
    expires_at      TIMESTAMP,
    gateway_managed BOOLEAN      NOT NULL,
    imported_at     TIMESTAMP    NOT NULL,
    cert            ${binary}    NOT NULL
);

CREATE TABLE pgp_cert_emails (
    fingerprint VARCHAR(64)  NOT NULL REFERENCES pgp_certs(fingerprint) ON DELETE CASCADE,
    email       VARCHAR(320) NOT NULL,
    PRIMARY KEY (fingerprint, email)
);
CREATE INDEX pgp_cert_emails_email ON pgp_cert_emails(email);

CREATE TABLE pgp_secret_keys (
    fingerprint VARCHAR(64)  NOT NULL PRIMARY KEY REFERENCES pgp_certs(fingerprint) ON DELETE CASCADE,
    sealed      ${binary}    NOT NULL,
    created_at  TIMESTAMP    NOT NULL
);

CREATE TABLE user_policy (
    email   VARCHAR(320) NOT NULL,
    setting VARCHAR(64)  NOT NULL,
    setting_value VARCHAR(256) NOT NULL,
    PRIMARY KEY (email, setting)
);
