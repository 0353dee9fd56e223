#!/usr/bin/python3
"""IDLE through the bridge (RFC 2177): prints "idling" once the server said "+", then the first untagged
EXISTS it sends and how long it waited.

usage: idle.py HOST PORT USER PASSWORD CA_FILE
"""
import socket
import sys
import time

import bridgeclient

host, port, user, password, ca = sys.argv[1:6]
c = bridgeclient.login(host, port, user, password, ca)
c.select("INBOX")
c.send(b"t1 IDLE\r\n")
line = c.readline()
if not line.startswith(b"+"):
    print("no continuation:", line)
    sys.exit(1)
print("idling", flush=True)
start = time.time()
c.sock.settimeout(30)
try:
    while True:
        line = c.readline()
        if b"EXISTS" in line:
            print("got", line.decode().strip(), "after %.1f s" % (time.time() - start), flush=True)
            break
except socket.timeout:
    print("timeout: no EXISTS", flush=True)
    sys.exit(1)
c.send(b"DONE\r\n")
while True:
    line = c.readline()
    if line.startswith(b"t1 "):
        print("done", line.decode().strip(), flush=True)
        break
c.logout()
