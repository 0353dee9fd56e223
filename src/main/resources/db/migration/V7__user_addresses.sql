-- Further addresses a sender owns (aliases): a decrypted outbound message may carry any of them in From.
CREATE TABLE user_addresses (
    sender  VARCHAR(320) NOT NULL,
    address VARCHAR(320) NOT NULL,
    PRIMARY KEY (sender, address)
);
