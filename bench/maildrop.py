#!/usr/bin/python3
"""A minimal SMTP sink for the bridge benchmark: stores each message it accepts as a file in DIR.

usage: maildrop.py PORT DIR
"""
import os
import socket
import sys
import threading

port, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out, exist_ok=True)
counter = [0]
lock = threading.Lock()


def serve(conn):
    f = conn.makefile("rb")
    w = conn.makefile("wb")

    def reply(s):
        w.write((s + "\r\n").encode())
        w.flush()

    reply("220 maildrop")
    while True:
        line = f.readline()
        if not line:
            return
        cmd = line.strip().upper()
        if cmd.startswith(b"EHLO") or cmd.startswith(b"HELO"):
            reply("250-maildrop")
            reply("250-8BITMIME")
            reply("250 SMTPUTF8")
        elif cmd == b"DATA":
            reply("354 go on")
            data = []
            while True:
                l = f.readline()
                if l in (b".\r\n", b".\n", b""):
                    break
                data.append(l[1:] if l.startswith(b"..") else l)
            with lock:
                counter[0] += 1
                n = counter[0]
            with open(os.path.join(out, "%06d.eml" % n), "wb") as o:
                o.write(b"".join(data))
            reply("250 2.0.0 stored")
        elif cmd == b"QUIT":
            reply("221 bye")
            return
        else:
            reply("250 ok")


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
