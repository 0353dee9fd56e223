"""What the bridge suite's client scripts share: a logged-in imaplib session (STARTTLS with the test CA's
certificate checked, or plain with "-"), and one command sent raw with its untagged lines."""
import imaplib
import ssl


def login(host, port, user, password, ca):
    c = imaplib.IMAP4(host, int(port))
    if ca and ca != "-":
        ctx = ssl.create_default_context(cafile=ca)
        ctx.check_hostname = False  # the certificate names localhost; the address is 127.0.0.1
        c.starttls(ssl_context=ctx)
    c.login(user, password)
    return c


class Raw:
    """Commands sent as they are (imaplib knows no CONDSTORE/QRESYNC); no literals are asked for."""

    def __init__(self, c, prefix):
        self.c = c
        self.prefix = prefix
        self.n = 0

    def run(self, text):
        """The untagged lines and the tagged answer (without its tag)."""
        self.n += 1
        tag = "%s%d" % (self.prefix, self.n)
        self.c.send(("%s %s\r\n" % (tag, text)).encode())
        lines = []
        while True:
            line = self.c.readline().decode().rstrip("\r\n")
            if line.startswith(tag + " "):
                return lines, line[len(tag) + 1:]
            lines.append(line)
