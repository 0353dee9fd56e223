package org.mailseal.admin;

/** One line of the admin's user list. */
public record UserRow(String username, boolean admin, int pgpKeys, int certificates) {
}
