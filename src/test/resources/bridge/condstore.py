#!/usr/bin/python3
"""CONDSTORE and QRESYNC (RFC 7162) as a client sees them, printed in a form that does not depend on the
server's word order, so that the bridge's answers can be compared line by line with Dovecot's.

usage: condstore.py HOST PORT USER PASSWORD MAILBOX CA_FILE|- MODE [ARGS]
  state                         capabilities, then SELECT (CONDSTORE): UIDVALIDITY, HIGHESTMODSEQ, each UID's FLAGS and MODSEQ
  resync UIDVALIDITY MODSEQ KNOWN  ENABLE QRESYNC, SELECT (QRESYNC ...), FETCH CHANGEDSINCE, UID FETCH (CHANGEDSINCE VANISHED),
                                SEARCH MODSEQ, STATUS HIGHESTMODSEQ
  store UID STALE_MODSEQ EXPUNGE_UID   a conditional STORE that must fail, one that must succeed, then a UID EXPUNGE under QRESYNC
"""
import re
import sys

import bridgeclient

host, port, user, password, box, ca, mode = sys.argv[1:8]
args = sys.argv[8:]
c = bridgeclient.login(host, port, user, password, ca)
run = bridgeclient.Raw(c, "c").run


def fetches(lines):
    """Each untagged FETCH as 'uid=U flags=F modseq=M', items in a fixed order."""
    out = []
    for l in lines:
        m = re.match(r"\* \d+ FETCH \((.*)\)$", l)
        if not m:
            continue
        body = m.group(1)
        uid = re.search(r"UID (\d+)", body)
        flags = re.search(r"FLAGS \(([^)]*)\)", body)
        modseq = re.search(r"MODSEQ \((\d+)\)", body)
        out.append("uid=%s flags=%s modseq=%s" % (uid.group(1) if uid else "-",
                                                    " ".join(sorted(flags.group(1).split())) if flags else "-",
                                                    modseq.group(1) if modseq else "-"))
    return sorted(out, key=lambda s: int(s.split()[0][4:]) if s.split()[0][4:].isdigit() else 0)


def code(lines, name):
    for l in lines:
        m = re.search(r"\[" + name + r" (\d+)\]", l)
        if m:
            return m.group(1)
    return "-"


def vanished(lines):
    return [l[2:] for l in lines if l.startswith("* VANISHED")]


if mode == "state":
    lines, done = run("CAPABILITY")
    caps = " ".join(lines).upper().split()
    print("capabilities", "CONDSTORE" in caps, "QRESYNC" in caps)
    lines, done = run("SELECT %s (CONDSTORE)" % box)
    print("select", done.split()[0])
    print("uidvalidity", code(lines, "UIDVALIDITY"))
    print("highestmodseq", code(lines, "HIGHESTMODSEQ"))
    lines, done = run("UID FETCH 1:* (FLAGS MODSEQ)")
    for f in fetches(lines):
        print("message", f)
elif mode == "resync":
    validity, modseq, known = args
    lines, done = run("ENABLE QRESYNC")
    print("enable", lines)
    lines, done = run("SELECT %s (QRESYNC (%s %s %s))" % (box, validity, modseq, known))
    print("select", done.split()[0])
    print("highestmodseq-grew", int(code(lines, "HIGHESTMODSEQ")) > int(modseq))
    print("highestmodseq", code(lines, "HIGHESTMODSEQ"))
    print("vanished", vanished(lines))
    for f in fetches(lines):
        print("changed", f)
    lines, done = run("FETCH 1:* (FLAGS) (CHANGEDSINCE %s)" % modseq)
    print("fetch-changedsince", done.split()[0], fetches(lines))
    lines, done = run("UID FETCH %s (FLAGS) (CHANGEDSINCE %s VANISHED)" % (known, modseq))
    print("uid-fetch-vanished", done.split()[0], vanished(lines), fetches(lines))
    lines, done = run("UID SEARCH MODSEQ %d" % (int(modseq) + 1))
    print("search-modseq", done.split()[0], lines)
    lines, done = run("UNSELECT")
    lines, done = run("STATUS %s (HIGHESTMODSEQ MESSAGES)" % box)
    items = re.search(r"\((.*)\)", lines[0]).group(1).split()
    print("status", sorted(zip(items[::2], items[1::2])))
elif mode == "store":
    uid, stale, expunge_uid = args
    lines, done = run("ENABLE QRESYNC")
    lines, done = run("SELECT %s" % box)
    lines, done = run("UID STORE %s (UNCHANGEDSINCE %s) +FLAGS.SILENT (\\Answered)" % (uid, stale))
    print("stale-store", done.split()[0], re.search(r"\[MODIFIED [0-9:,]+\]", done).group(0) if "MODIFIED" in done else "-", fetches(lines))
    lines, done = run("UID FETCH %s (MODSEQ)" % uid)
    current = re.search(r"MODSEQ \((\d+)\)", lines[0]).group(1)
    lines, done = run("UID STORE %s (UNCHANGEDSINCE %s) +FLAGS (\\Answered)" % (uid, current))
    f = fetches(lines)
    print("fresh-store", done.split()[0], "MODIFIED" in done, len(f), "\\Answered" in f[0],
          int(f[0].split("modseq=")[1]) > int(current))
    lines, done = run("UID STORE %s +FLAGS.SILENT (\\Deleted)" % expunge_uid)
    lines, done = run("UID EXPUNGE %s" % expunge_uid)
    print("expunge", done.split()[0], vanished(lines), [l for l in lines if l.endswith("EXPUNGE")])
c.logout()
