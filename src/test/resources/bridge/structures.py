#!/usr/bin/python3
"""Prints, per message of a mailbox in UID order, its BODYSTRUCTURE and ENVELOPE as the server sends them,
with literals written as quoted strings (so two servers' answers compare whatever string form they chose).

usage: structures.py HOST PORT USER PASSWORD MAILBOX [CA_FILE]
"""
import sys

import bridgeclient

host, port, user, password, mailbox = sys.argv[1:6]
c = bridgeclient.login(host, port, user, password, sys.argv[6] if len(sys.argv) > 6 else "-")
c.select(mailbox, readonly=True)
typ, data = c.uid("SEARCH", None, "ALL")
for uid in data[0].split():
    for item in ("BODYSTRUCTURE", "ENVELOPE"):
        typ, parts = c.uid("FETCH", uid, "(%s)" % item)
        text = ""
        for p in parts:
            if isinstance(p, tuple):
                head = p[0].decode("utf-8", "replace")
                head = head[:head.rindex("{")]
                lit = p[1].decode("utf-8", "replace").replace("\\", "\\\\").replace('"', '\\"')
                text += head + '"' + lit + '"'
            elif p is not None:
                text += p.decode("utf-8", "replace")
        start = text.index(item + " ") + len(item) + 1
        value = text[start:].strip()
        print(item, value[:-1] if value.endswith(")") else value)  # the FETCH response's own closing parenthesis
c.logout()
