# Verifies every DKIM signature of the message on stdin with dkimpy (python3-dkim), asking the DNS
# server given as argv[1] (host) and argv[2] (port) for the keys. Prints one line per signature:
# "<index> pass|fail <d> <s>"; with argv[3] = "arc", the ARC chain's state instead (as arcverify does).
# Run with /usr/bin/python3 (Debian's modules load only there).
import sys
import dkim
import dns.resolver

resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers = [sys.argv[1]]
resolver.port = int(sys.argv[2])
resolver.lifetime = 5


def dnsfunc(name, timeout=5):
    try:
        answer = resolver.resolve(name.decode('ascii'), 'TXT')
    except Exception:
        return None
    return b''.join(b''.join(r.strings) for r in answer)


message = sys.stdin.buffer.read()
if len(sys.argv) > 3 and sys.argv[3] == 'arc':
    # The ARC chain (RFC 8617): prints "arc <cv> <reason>".
    cv, results, reason = dkim.arc_verify(message, dnsfunc=dnsfunc)
    print('arc', (cv or b'none').decode(), reason)
    sys.exit(0)
try:
    d = dkim.DKIM(message)
except dkim.MessageFormatError:
    # dkimpy cannot parse obsolete header syntax (RFC 5322 4.5, e.g. "Name  : value").
    print(0, 'unparseable', '', '')
    sys.exit(0)
count = sum(1 for line in message.split(b'\r\n\r\n', 1)[0].split(b'\r\n') if line.lower().startswith(b'dkim-signature:'))
for i in range(count):
    try:
        ok = d.verify(idx=i, dnsfunc=dnsfunc)
    except dkim.DKIMException:
        ok = False
    sig = d.signature_fields if hasattr(d, 'signature_fields') else {}
    print(i, 'pass' if ok else 'fail', (sig.get(b'd') or b'').decode(), (sig.get(b's') or b'').decode())
