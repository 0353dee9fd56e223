#!/usr/bin/python3
"""FETCH latency: UID FETCH BODY.PEEK[] of COUNT random messages, one at a time; prints p50 and p99 in ms.

usage: fetch_latency.py HOST PORT USER PASSWORD COUNT
"""
import imaplib
import random
import sys
import time

host, port, user, password, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
c = imaplib.IMAP4(host, port)
c.login(user, password)
c.select("INBOX", readonly=True)
uids = c.uid("SEARCH", None, "ALL")[1][0].split()
random.seed(7)
took = []
for uid in random.choices(uids, k=count):
    t = time.perf_counter()
    c.uid("FETCH", uid, "(BODY.PEEK[])")
    took.append((time.perf_counter() - t) * 1000)
took.sort()
print("p50 %.2f ms  p99 %.2f ms  (%d fetches)" % (took[len(took) // 2], took[int(len(took) * 0.99)], count))
c.logout()
