#!/usr/bin/python3
"""Reads a whole mailbox through the bridge over STARTTLS (certificate checked) and prints it.

usage: read_all.py HOST PORT USER PASSWORD CA_FILE [MAILBOX]
"""
import sys

import bridgeclient

host, port, user, password, ca = sys.argv[1:6]
mailbox = sys.argv[6] if len(sys.argv) > 6 else "INBOX"
c = bridgeclient.login(host, port, user, password, ca)
typ, data = c.select(mailbox, readonly=True)
typ, data = c.uid("SEARCH", None, "ALL")
uids = data[0].split()
print("messages", len(uids))
for uid in uids:
    typ, data = c.uid("FETCH", uid, "(BODY.PEEK[])")
    sys.stdout.write(data[0][1].decode("utf-8", "replace"))
    print()
c.logout()
