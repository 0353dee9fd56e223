#!/usr/bin/env bash
# Pass-through benchmark (encryption off): smtp-source -> smtp-sink as the baseline, side by side
# with the same load through mailseal (proxy mode) into the same smtp-sink.
# Needs: postfix (smtp-source, smtp-sink), a built target/mailseal.jar.
# Usage: bench/passthrough.sh [MESSAGES]   (default 2000 per run)
set -euo pipefail
cd "$(dirname "$0")/.."
MSGS=${1:-2000}
LEN=4096
command -v smtp-sink >/dev/null || { echo "install the Debian package 'postfix' (smtp-source, smtp-sink)"; exit 2; }
[ -f target/mailseal.jar ] || mvn -B -q package -DskipTests

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
SINK=$(free_port); GW=$(free_port)
WORK=$(mktemp -d)
cleanup() { [ -n "${SINK_PID:-}" ] && kill "$SINK_PID" 2>/dev/null; [ -n "${GW_PID:-}" ] && kill "$GW_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# smtp-sink: accepts everything, PIPELINING + 8BITMIME advertised; -u drops privileges when root.
smtp-sink -u nobody -c 127.0.0.1:$SINK 1024 > /dev/null &
SINK_PID=$!
cat > "$WORK/mailseal.yml" <<YML
hostname: bench.test
dataDir: $WORK/data
smtp: {listen: "127.0.0.1:$GW"}
limits: {maxConnections: 500}
relay: {defaultRoute: "[127.0.0.1]:$SINK", tls: none}
domains: {local: [example.com]}
metrics: {enabled: false}
YML
MAILSEAL_LOG_LEVEL=WARN java -Xmx512m -jar target/mailseal.jar serve --config "$WORK/mailseal.yml" 2> "$WORK/gw.log" &
GW_PID=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$GW) 2>/dev/null && break; sleep 0.1; done

timed() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N); python3 -c "print(f'{$MSGS/($t1-$t0):.1f}')"; }

echo "# $(date -u +%F) $(nproc) cores, $MSGS messages of $LEN bytes per run, one message per session"
# warm up the JVM
java bench/SmtpLoad.java --port "$GW" --messages 500 --concurrency 10 --size $LEN > /dev/null
for C in 1 10 50; do
  echo "concurrency $C"
  echo "  smtp-source -> smtp-sink:            $(timed smtp-source -s $C -m $MSGS -l $LEN -f load@bench.test -t u@example.com 127.0.0.1:$SINK) msgs/s"
  echo "  smtp-source -> mailseal -> smtp-sink: $(timed smtp-source -s $C -m $MSGS -l $LEN -f load@bench.test -t u@example.com 127.0.0.1:$GW) msgs/s"
  echo "  SmtpLoad    -> smtp-sink:            $(java bench/SmtpLoad.java --port "$SINK" --messages $MSGS --concurrency $C --size $LEN)"
  echo "  SmtpLoad    -> mailseal -> smtp-sink: $(java bench/SmtpLoad.java --port "$GW" --messages $MSGS --concurrency $C --size $LEN)"
done
echo "one 50 MiB message:"
echo "  SmtpLoad    -> smtp-sink:            $(java bench/SmtpLoad.java --port "$SINK" --messages 1 --concurrency 1 --size 52428800)"
echo "  SmtpLoad    -> mailseal -> smtp-sink: $(java bench/SmtpLoad.java --port "$GW" --messages 1 --concurrency 1 --size 52428800)"
