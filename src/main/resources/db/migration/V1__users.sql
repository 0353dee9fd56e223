-- SMTP AUTH users. Passwords are Argon2id hashes in PHC string form, never plaintext.
CREATE TABLE users (
    username      VARCHAR(320) NOT NULL PRIMARY KEY,
    password_hash VARCHAR(512) NOT NULL,
    created_at    TIMESTAMP    NOT NULL,
    updated_at    TIMESTAMP    NOT NULL
);
