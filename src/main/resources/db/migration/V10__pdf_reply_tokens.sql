-- The secure reply path of PDF mail: one-time links. Only a hash of each token is kept.
CREATE TABLE pdf_reply_tokens (
    token_hash  VARCHAR(64)   NOT NULL PRIMARY KEY,
    recipient   VARCHAR(320)  NOT NULL,
    sender      VARCHAR(320)  NOT NULL,
    subject     VARCHAR(1000) NOT NULL,
    message_id  VARCHAR(1000) NOT NULL,
    expires_at  TIMESTAMP     NOT NULL,
    used_at     TIMESTAMP
);
