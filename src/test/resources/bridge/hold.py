#!/usr/bin/python3
"""A client as Thunderbird or Apple Mail is most of the time: INBOX selected, and the other mailboxes'
counts asked for with STATUS. Prints "ready" after that; with "wait", holds the session until a line comes
on stdin.

usage: hold.py HOST PORT USER PASSWORD CA_FILE MAILBOX wait|nowait
"""
import sys

import bridgeclient

host, port, user, password, ca, other, mode = sys.argv[1:8]
c = bridgeclient.login(host, port, user, password, ca)
run = bridgeclient.Raw(c, "h").run
lines, done = run("SELECT INBOX")
print("select", done.split()[0])
lines, done = run("STATUS %s (MESSAGES)" % other)
print("status", done.split()[0], lines)
print("ready", flush=True)
if mode == "wait":
    sys.stdin.readline()
c.logout()
