#!/usr/bin/env bash
# Postfix path benchmark: smtp-source -> Postfix -> smtp-sink, against
# smtp-source -> Postfix -> mailseal (content filter, encrypting to cv25519) -> Postfix -> smtp-sink and
# smtp-source -> Postfix with mailseal as milter (encrypting in place, one queue pass) -> smtp-sink,
# in the same run, with private Postfix instances under a temp dir (the system Postfix is not touched).
# Needs root, the Debian package postfix, and a built target/mailseal.jar.
# Usage: bench/postfix.sh [MESSAGES]   (default 2000 per run; 4 KiB messages)
set -euo pipefail
cd "$(dirname "$0")/.."
MSGS=${1:-2000}
LEN=4096
command -v postfix >/dev/null || { echo "install the Debian package 'postfix'"; exit 2; }
[ -f target/mailseal.jar ] || mvn -B -q package -DskipTests
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
WORK=$(mktemp -d); chmod 755 "$WORK"
PIDS=(); INSTANCES=()
cleanup() {
  for i in "${INSTANCES[@]}"; do postfix -c "$i/etc" abort >/dev/null 2>&1 || true; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true; rm -rf "$WORK"
}
trap cleanup EXIT

SINK=$(free_port)
smtp-sink -u nobody -c 127.0.0.1:$SINK 1024 >/dev/null & PIDS+=($!)

# instance NAME PORT MAIN_EXTRA MASTER_EXTRA
instance() {
  local d="$WORK/$1"; mkdir -p "$d/etc" "$d/queue" "$d/data"; chown postfix "$d/data"
  cat > "$d/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $1.bench.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$SINK
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
maillog_file = $d/maillog
maillog_file_prefixes = $d
smtp_tls_security_level = none
smtpd_tls_security_level = none
alias_maps =
local_recipient_maps =
default_process_limit = 200
$3
CF
  cat > "$d/etc/master.cf" <<CF
127.0.0.1:$2 inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
$4
CF
  postfix -c "$d/etc" start >/dev/null 2>&1; INSTANCES+=("$d")
}

PLAIN=$(free_port); FILTERED=$(free_port); GW=$(free_port); REINJECT=$(free_port); MILTERED=$(free_port); MILTER=$(free_port)
echo "bench master passphrase" > "$WORK/master.pass"; chmod 600 "$WORK/master.pass"  # refused if others may read it
cat > "$WORK/mailseal.yml" <<YML
hostname: gw.bench.test
dataDir: $WORK/gw
smtp: {listen: "127.0.0.1:$GW"}
milter: {enabled: true, listen: "127.0.0.1:$MILTER"}
limits: {maxConnections: 500}
relay: {defaultRoute: "[127.0.0.1]:$REINJECT", tls: none}
domains: {local: [example.com]}
metrics: {enabled: false}
keys: {masterPassphraseFile: "$WORK/master.pass"}
policy: {encrypt: mandatory, onMissingKey: tempfail}
YML
java -jar target/mailseal.jar keys generate --email u@example.com -c "$WORK/mailseal.yml" >/dev/null 2>&1
MAILSEAL_LOG_LEVEL=WARN java -Xmx512m -jar target/mailseal.jar serve -c "$WORK/mailseal.yml" 2>"$WORK/gw.log" & PIDS+=($!)
CONF=$(java -jar target/mailseal.jar postfix-config -c "$WORK/mailseal.yml" 2>/dev/null)
instance plain "$PLAIN" "" ""
instance filtered "$FILTERED" "$(echo "$CONF" | sed -n '1,/master.cf/p' | grep -v master.cf)" "$(echo "$CONF" | sed -n '/master.cf/,$p')"
instance miltered "$MILTERED" "smtpd_milters = inet:127.0.0.1:$MILTER
milter_default_action = tempfail" ""
for p in $PLAIN $FILTERED $MILTERED $GW $MILTER; do for i in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done; done

queued() { find "$1/queue/incoming" "$1/queue/active" "$1/queue/deferred" -type f 2>/dev/null | wc -l; }
sent() { grep -c "status=sent" "$1/maillog" 2>/dev/null || true; }
# run NAME PORT C: inject MSGS messages, wait until the instance has delivered them all
run() {
  local d="$WORK/$1" before t0 t1 want
  before=$(grep -c "relay=127.0.0.1\[127.0.0.1\]:$SINK, .*status=sent" "$d/maillog" 2>/dev/null || true)
  want=$((before + MSGS))
  t0=$(date +%s.%N)
  smtp-source -s "$3" -m "$MSGS" -l $LEN -f load@bench.test -t u@example.com 127.0.0.1:$2
  while [ "$(grep -c "relay=127.0.0.1\[127.0.0.1\]:$SINK, .*status=sent" "$d/maillog" 2>/dev/null || true)" -lt "$want" ]; do sleep 0.05; done
  t1=$(date +%s.%N)
  local delay
  delay=$(grep "relay=127.0.0.1\[127.0.0.1\]:$SINK, .*status=sent" "$d/maillog" | tail -n "$MSGS" | sed 's/.*, delay=\([0-9.]*\),.*/\1/' | sort -n | awk '{a[NR]=$1} END {printf "p50 %.2f s, p99 %.2f s", a[int(NR*0.5)], a[int(NR*0.99)]}')
  python3 -c "print(f'{$MSGS/($t1-$t0):.1f} msgs/s end to end ($delay Postfix delay to the sink)')"
}
echo "# $(date -u +%F) $(nproc) cores; $MSGS messages of $LEN bytes per run"
run plain $PLAIN 10 >/dev/null; run filtered $FILTERED 10 >/dev/null; run miltered $MILTERED 10 >/dev/null   # warm-up
for C in 10 50; do
  echo "concurrency $C"
  echo "  smtp-source -> Postfix -> smtp-sink:                                $(run plain $PLAIN $C)"
  echo "  smtp-source -> Postfix -> mailseal (cv25519) -> Postfix -> smtp-sink: $(run filtered $FILTERED $C)"
  echo "  smtp-source -> Postfix + mailseal milter (cv25519) -> smtp-sink:    $(run miltered $MILTERED $C)"
done
