# A static HTTPS server for the WKD tests: serves argv[1] on 127.0.0.1:443 with certificate argv[2], key argv[3].
# Runs inside the test's network namespace (where port 443 is free). /usr/bin/python3.
import http.server, ssl, functools, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.HTTPServer(('127.0.0.1', 443), h)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[2], sys.argv[3])
s.socket = c.wrap_socket(s.socket, server_side=True)
s.serve_forever()
