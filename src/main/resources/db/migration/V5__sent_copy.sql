-- Encrypted Sent copies: each user's login to the cloud IMAP server, the password sealed under the master key.
CREATE TABLE imap_credentials (
    email           VARCHAR(320) NOT NULL PRIMARY KEY,
    login           VARCHAR(320) NOT NULL,
    sealed_password ${binary}    NOT NULL,
    updated_at      TIMESTAMP    NOT NULL
);
