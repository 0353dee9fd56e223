#!/usr/bin/python3
"""SEARCH over a whole mailbox and the two ways a client resynchronises it, timed: a body search (one hit
in twenty), a flag search, every message's flags (UID FETCH 1:* (FLAGS), what a client without CONDSTORE
does), every message's size, envelope and structure (what a client lists a mailbox with), and a QRESYNC
SELECT with nothing changed (RFC 7162, where the server offers it).

usage: search_resync.py HOST PORT USER PASSWORD
"""
import imaplib
import sys
import time

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
c = imaplib.IMAP4(host, port)
c.login(user, password)
c.capabilities = tuple(c.capability()[1][0].decode().upper().split())  # after login, not the greeting's
qresync = "QRESYNC" in c.capabilities
out = []


def timed(what, f):
    t = time.perf_counter()
    r = f()
    out.append("%s %.0f ms%s" % (what, (time.perf_counter() - t) * 1000, r or ""))


if qresync:
    c.enable("QRESYNC")
    c._simple_command("SELECT", "INBOX (CONDSTORE)")
    c.state = "SELECTED"
else:
    c.select("INBOX", readonly=True)
timed("SEARCH BODY", lambda: ", %d hits" % len(c.uid("SEARCH", None, "BODY", '"of message 7,"')[1][0].split()))
timed("SEARCH FLAGGED", lambda: ", %d hits" % len(c.uid("SEARCH", None, "FLAGGED")[1][0].split()))
timed("UID FETCH 1:* (FLAGS)", lambda: ", %d messages" % len(c.uid("FETCH", "1:*", "(FLAGS)")[1]))
for when in ("first", "again"):
    timed("UID FETCH 1:* (RFC822.SIZE ENVELOPE BODYSTRUCTURE), " + when,
          lambda: ", %d messages" % len([x for x in c.uid("FETCH", "1:*", "(RFC822.SIZE ENVELOPE BODYSTRUCTURE)")[1] if x != b")"]))
if qresync:
    validity = c.untagged_responses["UIDVALIDITY"][-1].decode()
    modseq = c.untagged_responses["HIGHESTMODSEQ"][-1].decode()
    timed("QRESYNC SELECT, nothing changed", lambda: c._simple_command("SELECT", "INBOX (QRESYNC (%s %s))" % (validity, modseq)) and None)
else:
    out.append("no QRESYNC")
print("; ".join(out))
c.logout()
