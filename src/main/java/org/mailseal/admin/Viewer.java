package org.mailseal.admin;

/** Who is looking at a page: the logged-in user, whether an admin, and the session's CSRF token for forms. */
public record Viewer(String username, boolean admin, String csrf) {
}
