-- PDF for recipients without keys: each recipient's PDF password, sealed under the master key (aad: the address).
CREATE TABLE pdf_passwords (
    email           VARCHAR(320) NOT NULL PRIMARY KEY,
    sealed_password ${binary}    NOT NULL,
    updated_at      TIMESTAMP    NOT NULL
);
