package org.mailseal.admin;

import java.util.List;

/** One OpenPGP key in the admin's list: in the store (imported, generated, learned) or found by discovery. */
public record KeyRow(String fingerprint, List<String> emails, List<String> userIds, String algorithm, String source, boolean inStore) {
}
