#!/usr/bin/env bash
# mailseal benchmark: the same SMTP load into Postfix's smtp-sink directly (baseline), through mailseal
# with encryption off (pass-through), encrypting to one cv25519 OpenPGP key, and to one RSA-3072 S/MIME
# certificate from the built-in CA.
# Needs: postfix (smtp-source, smtp-sink), a built target/mailseal.jar, python3.
# Usage: bench/run.sh [MESSAGES]   (default 2000 per run; 4 KiB messages; one message per session)
#        MAILSEAL_BENCH_HEAP=128m bench/run.sh   (the gateways' heap limit; default 512m)
set -euo pipefail
cd "$(dirname "$0")/.."
MSGS=${1:-2000}
HEAP=${MAILSEAL_BENCH_HEAP:-512m}   # the gateways' -Xmx
LEN=4096
command -v smtp-sink >/dev/null || { echo "install the Debian package 'postfix' (smtp-source, smtp-sink)"; exit 2; }
[ -f target/mailseal.jar ] || mvn -B -q package -DskipTests

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
SINK=$(free_port); PLAIN=$(free_port); ENC=$(free_port); SMIME=$(free_port)
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

smtp-sink -u nobody -c 127.0.0.1:$SINK 1024 > /dev/null &
PIDS+=($!)
echo "bench master passphrase" > "$WORK/master.pass"; chmod 600 "$WORK/master.pass"  # refused if others may read it
gateway_config() { # name port encrypt [method]
  cat > "$WORK/$1.yml" <<YML
hostname: bench.test
dataDir: $WORK/$1
smtp: {listen: "127.0.0.1:$2"}
limits: {maxConnections: 500, maxMessageSize: 100MiB}
relay: {defaultRoute: "[127.0.0.1]:$SINK", tls: none}
domains: {local: [example.com]}
metrics: {enabled: false}
keys: {masterPassphraseFile: "$WORK/master.pass"}
policy: {encrypt: $3, onMissingKey: tempfail, method: ${4:-any}}
YML
}
gateway_config plain "$PLAIN" never
gateway_config enc "$ENC" mandatory openpgp
gateway_config smime "$SMIME" mandatory smime
java -jar target/mailseal.jar keys generate --email u@example.com --algo cv25519 -c "$WORK/enc.yml" > /dev/null 2>&1
java -jar target/mailseal.jar ca init -c "$WORK/smime.yml" > /dev/null 2>&1
java -jar target/mailseal.jar ca issue --email u@example.com --algo rsa3072 -c "$WORK/smime.yml" > /dev/null 2>&1
declare -A GW
for g in plain enc smime; do
  MAILSEAL_LOG_LEVEL=WARN java -Xmx$HEAP -jar target/mailseal.jar serve --config "$WORK/$g.yml" 2> "$WORK/$g.log" &
  PIDS+=($!); GW[$g]=$!
done
for p in $PLAIN $ENC $SMIME; do for i in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done; done

load() { java bench/SmtpLoad.java --port "$1" --messages "$2" --concurrency "$3" --size "$4"; }
timed() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N); python3 -c "print(f'{$MSGS/($t1-$t0):.1f}')"; }

echo "# $(date -u +%F) $(nproc) cores; $MSGS messages of $LEN bytes per run; one message per session"
load $PLAIN 500 10 $LEN > /dev/null; load $ENC 500 10 $LEN > /dev/null; load $SMIME 500 10 $LEN > /dev/null   # JIT warm-up
for C in 1 10 50; do
  echo "concurrency $C"
  echo "  smtp-source -> smtp-sink:                     $(timed smtp-source -s $C -m $MSGS -l $LEN -f load@bench.test -t u@example.com 127.0.0.1:$SINK) msgs/s"
  echo "  smtp-source -> mailseal (plain) -> smtp-sink: $(timed smtp-source -s $C -m $MSGS -l $LEN -f load@bench.test -t u@example.com 127.0.0.1:$PLAIN) msgs/s"
  echo "  smtp-source -> mailseal (cv25519) -> sink:    $(timed smtp-source -s $C -m $MSGS -l $LEN -f load@bench.test -t u@example.com 127.0.0.1:$ENC) msgs/s"
  echo "  SmtpLoad -> smtp-sink:                     $(load $SINK $MSGS $C $LEN)"
  echo "  SmtpLoad -> mailseal (plain) -> smtp-sink: $(load $PLAIN $MSGS $C $LEN)"
  echo "  SmtpLoad -> mailseal (cv25519) -> sink:    $(load $ENC $MSGS $C $LEN)"
  echo "  SmtpLoad -> mailseal (S/MIME RSA-3072) -> sink: $(load $SMIME $MSGS $C $LEN)"
done
echo "one 50 MiB message"
echo "  SmtpLoad -> smtp-sink:                     $(load $SINK 1 1 52428800)"
echo "  SmtpLoad -> mailseal (plain) -> smtp-sink: $(load $PLAIN 1 1 52428800)"
echo "  SmtpLoad -> mailseal (cv25519) -> sink:    $(load $ENC 1 1 52428800)"
echo "  SmtpLoad -> mailseal (S/MIME RSA-3072) -> sink: $(load $SMIME 1 1 52428800)"
echo "peak resident memory of each gateway (VmHWM, after all runs above)"
for g in plain enc smime; do
  echo "  mailseal ($g): $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/${GW[$g]}/status)"
done
