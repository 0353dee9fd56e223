#!/usr/bin/python3
"""A client through a provider outage: what it is told while the provider is down, and that its session goes
on afterwards with the same UIDs. Waits for a line on stdin after "ready" (stop the provider) and after
"waiting" (start it again).

usage: outage.py HOST PORT USER PASSWORD CA_FILE
"""
import sys

import bridgeclient

host, port, user, password, ca = sys.argv[1:6]
c = bridgeclient.login(host, port, user, password, ca)
run = bridgeclient.Raw(c, "o").run


def uids():
    lines, done = run("UID FETCH 1:* (UID)")
    return [l.split("UID ")[1].rstrip(")") for l in lines if " FETCH " in l]


run("SELECT INBOX")
before = uids()
print("ready", len(before), flush=True)
sys.stdin.readline()
lines, done = run("NOOP")
print("down-noop", done, flush=True)
lines, done = run("UID FETCH 1 (FLAGS)")
print("down-fetch", done, flush=True)
print("waiting", flush=True)
sys.stdin.readline()
lines, done = run("NOOP")
print("up-noop", done.split()[0], [l for l in lines if "EXPUNGE" in l or "EXISTS" in l or "BYE" in l], flush=True)
after = uids()
print("up-uids", len(after), after == before, flush=True)
c.logout()
