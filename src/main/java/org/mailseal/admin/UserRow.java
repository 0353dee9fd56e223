package org.mailseal.admin;

/** One line of the admin's user list. */
public record UserRow(String username, boolean admin, int pgpKeys, int certificates) {
    /** The user's own page. */
    public String link() {
        return "/admin/user?u=" + java.net.URLEncoder.encode(username, java.nio.charset.StandardCharsets.UTF_8);
    }
}
