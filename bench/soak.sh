#!/usr/bin/env bash
# The full soak with fault injection (issue 8): N messages (default 10000), 1 KiB to 5 MiB and a few at
# MAX MiB (default 50), concurrency C (default 20), through mailseal with encryption on, while the sink
# fails in every way (4xx, 5xx, 421, drop mid-DATA, stall), mailseal is restarted and killed, and (as root)
# its data directory on a tmpfs fills up. Prints lost=.. duplicated=.. plaintext_leaks=..
# and exits non-zero on any loss or leak. Usage: bench/soak.sh [N] [C] [MAX]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q test-compile
mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.11.0:build-classpath -Dmdep.outputFile=target/soak.cp -Dmdep.includeScope=test >/dev/null
java -Xmx1g -cp "target/test-classes:target/classes:$(cat target/soak.cp)" org.mailseal.soak.Soak "${1:-10000}" "${2:-20}" "${3:-50}"
