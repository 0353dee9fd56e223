#!/usr/bin/python3
"""A stock IMAP client (Python's imaplib) against mailseal's bridge: prints what it read as JSON lines.

usage: imap_client.py HOST PORT USER PASSWORD CANARY APPEND_FILE
"""
import base64
import imaplib
import json
import re
import sys

host, port, user, password, canary, append_file = sys.argv[1:7]


def out(**kw):
    print(json.dumps(kw), flush=True)


c = imaplib.IMAP4(host, int(port))
out(step="capability", caps=[str(x) for x in c.capabilities])
typ, data = c.login(user, password)
out(step="login", result=typ)
typ, boxes = c.list()
out(step="list", boxes=[b.decode() for b in boxes])
typ, data = c.select("INBOX")
out(step="select", result=typ, exists=int(data[0]))
typ, data = c.uid("SEARCH", None, "ALL")
uids = data[0].split()
sizes = {}
for uid in uids:
    typ, data = c.uid("FETCH", uid, "(UID RFC822.SIZE)")
    size = int(re.search(rb"RFC822\.SIZE (\d+)", data[0]).group(1))
    sizes[uid] = size
    typ, data = c.uid("FETCH", uid, "(BODY.PEEK[])")
    body = data[0][1]
    typ, structure = c.uid("FETCH", uid, "(BODYSTRUCTURE ENVELOPE)")
    out(step="fetch", uid=uid.decode(), size=size, length=len(body), body=base64.b64encode(body).decode(), structure=typ)
    # a partial, and the header alone, are slices of the same bytes
    typ, data = c.uid("FETCH", uid, "(BODY.PEEK[]<0.100> BODY.PEEK[HEADER])")
    part, header = None, None
    for item in data:
        if isinstance(item, tuple):
            if b"BODY[]<0>" in item[0]:
                part = item[1]
            elif b"BODY[HEADER]" in item[0]:
                header = item[1]
    out(step="slices", uid=uid.decode(), partial_ok=part == body[:100], header_ok=body.startswith(header) if header else False)
typ, data = c.uid("SEARCH", None, "TEXT", canary)
out(step="search", uids=[u.decode() for u in data[0].split()])
typ, data = c.uid("SEARCH", None, "SUBJECT", "Quarterly")
out(step="search-subject", uids=[u.decode() for u in data[0].split()])
typ, data = c.uid("SEARCH", None, "TEXT", canary)
limit = sizes[data[0].split()[0]] + 1  # the canary message's plaintext size, plus one
typ, data = c.uid("SEARCH", None, "SMALLER", str(limit))
out(step="search-smaller", limit=limit, uids=[u.decode() for u in data[0].split()])
typ, data = c.uid("SEARCH", None, "LARGER", str(limit - 1))
out(step="search-larger", uids=[u.decode() for u in data[0].split()])
if uids:
    typ, data = c.uid("STORE", uids[0], "+FLAGS", "(\\Flagged)")
    out(step="store", result=typ, data=[d.decode() for d in data if d])
with open(append_file, "rb") as f:
    message = f.read()
typ, data = c.append("Drafts", "(\\Draft)", None, message)
out(step="append", result=typ, data=[d.decode() for d in data if d])
typ, data = c.select("Drafts")
typ, data = c.uid("SEARCH", None, "ALL")
last = data[0].split()[-1]
typ, data = c.uid("FETCH", last, "(BODY.PEEK[])")
out(step="drafts", body=base64.b64encode(data[0][1]).decode())
c.logout()
out(step="done")
