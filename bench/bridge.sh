#!/usr/bin/env bash
# IMAP bridge benchmark: a mailbox of N encrypted messages at a private Dovecot, synced with mbsync
# directly from Dovecot (the baseline: ciphertext, no work) and through mailseal's bridge (every message
# opened, its structure computed, cached encrypted); then 100 new messages (incremental sync); then FETCH
# latency of already cached messages (p50/p99), bridge and Dovecot side by side.
# Needs: root (Dovecot drops privileges), dovecot-imapd, isync (mbsync), python3, a built target/mailseal.jar.
# Usage: bench/bridge.sh [MESSAGES]   (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
HEAP=${MAILSEAL_BENCH_HEAP:-512m}
command -v dovecot >/dev/null || { echo "install the Debian package 'dovecot-imapd'"; exit 2; }
command -v mbsync >/dev/null || { echo "install the Debian package 'isync'"; exit 2; }
[ -f target/mailseal.jar ] || mvn -B -q package -DskipTests

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
DOVE=$(free_port); DROP=$(free_port); SMTP=$(free_port); BRIDGE=$(free_port)
WORK=$(mktemp -d); chmod 755 "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

# the provider: Dovecot with alice's Maildir
mkdir -p "$WORK/dovecot/run" "$WORK/dovecot/state" "$WORK/dovecot/home/alice/Maildir/"{cur,new,tmp}
echo 'alice:{PLAIN}cloud-password-1' > "$WORK/dovecot/passwd"
cat > "$WORK/dovecot/dovecot.conf" <<CONF
base_dir = $WORK/dovecot/run
state_dir = $WORK/dovecot/state
log_path = $WORK/dovecot/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $WORK/dovecot/passwd
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$WORK/dovecot/home/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVE
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
CONF

# mailseal: encrypts inbound mail for alice (into the drop), and runs the bridge in front of Dovecot
python3 bench/maildrop.py "$DROP" "$WORK/drop" & PIDS+=($!)
echo "bench master passphrase" > "$WORK/master.pass"; chmod 600 "$WORK/master.pass"
cat > "$WORK/mailseal.yml" <<YML
hostname: bench.test
dataDir: $WORK/data
smtp: {listen: "127.0.0.1:$SMTP"}
relay: {defaultRoute: "[127.0.0.1]:$DROP", tls: none}
domains: {local: [example.com]}
policy: {encrypt: mandatory, onMissingKey: generate}
keys: {masterPassphraseFile: "$WORK/master.pass"}
authentication: {verifyInbound: false}
metrics: {enabled: false}
bridge: {enabled: true, listen: "127.0.0.1:$BRIDGE", upstream: "imap://127.0.0.1:$DOVE", upstreamRequireTls: false, allowPlainLogin: true, cacheSize: 4294967296}
YML
echo "alice password 1" > "$WORK/alice.pass"; echo "cloud-password-1" > "$WORK/cloud.pass"
java -jar target/mailseal.jar users add alice@example.com --password-file "$WORK/alice.pass" -c "$WORK/mailseal.yml" >/dev/null
java -jar target/mailseal.jar users imap-login alice@example.com --login alice --password-file "$WORK/cloud.pass" -c "$WORK/mailseal.yml" >/dev/null
java -Xmx$HEAP -jar target/mailseal.jar serve -c "$WORK/mailseal.yml" > "$WORK/mailseal.log" 2>&1 & GW=$!; PIDS+=($GW)
for i in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$SMTP) 2>/dev/null && break; sleep 0.2; done

# 20 different messages (4 to 40 KiB), encrypted by mailseal's inbound path
python3 - "$SMTP" <<'PY'
import smtplib, sys
for i in range(20):
    body = ("line %d of message %d, some text to make it longer\r\n" % (0, i)) * (i * 30 + 60)
    m = "From: bob@internet.test\r\nTo: alice@example.com\r\nSubject: bench %d\r\nMessage-ID: <bench-%d@internet.test>\r\n\r\n%s" % (i, i, body)
    with smtplib.SMTP("127.0.0.1", int(sys.argv[1])) as s:
        s.sendmail("bob@internet.test", ["alice@example.com"], m)
PY
fill() { # from to: put copies of the encrypted messages into the Maildir
  python3 - "$WORK/drop" "$WORK/dovecot/home/alice/Maildir/cur" "$1" "$2" <<'PY'
import os, sys
drop, cur, a, b = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
src = [open(os.path.join(drop, f), "rb").read().replace(b"\r\n", b"\n") for f in sorted(os.listdir(drop))]
for n in range(a, b):
    with open(os.path.join(cur, "%d.M%dP1.bench:2," % (1700000000 + n, n)), "wb") as o:
        o.write(src[n % len(src)])
PY
  chown -R 65534:65534 "$WORK/dovecot/home"
}
fill 0 "$N"
dovecot -F -c "$WORK/dovecot/dovecot.conf" > "$WORK/dovecot.out" 2>&1 & PIDS+=($!)
for i in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$DOVE) 2>/dev/null && break; sleep 0.1; done

rc() { # name host port user password
  cat > "$WORK/$1.rc" <<RC
IMAPAccount $1
Host $2
Port $3
User $4
Pass "$5"
SSLType None
AuthMechs LOGIN

IMAPStore $1-far
Account $1

MaildirStore $1-near
Path $WORK/$1/
Inbox $WORK/$1/INBOX

Channel $1
Far :$1-far:
Near :$1-near:
Patterns INBOX
Create Near
Sync Pull
SyncState *
RC
  mkdir -p "$WORK/$1"
}
rc direct 127.0.0.1 "$DOVE" alice cloud-password-1
rc bridge 127.0.0.1 "$BRIDGE" alice@example.com "alice password 1"
sync() { local t0=$(date +%s.%N); mbsync -q -c "$WORK/$1.rc" -a 2>/dev/null; echo "$(date +%s.%N) - $t0" | bc; }
count() { ls "$WORK/$1/INBOX/cur" "$WORK/$1/INBOX/new" 2>/dev/null | grep -c , || true; }
rss() { awk '/VmRSS/ {printf "%d MiB", $2/1024}' /proc/$GW/status; }

echo "== $N encrypted messages, initial sync =="
echo "mbsync <- Dovecot (baseline): $(sync direct) s, $(count direct) messages"
echo "mbsync <- mailseal bridge:    $(sync bridge) s, $(count bridge) messages, gateway RSS $(rss), cache $(du -sm "$WORK/data/bridge/cache" | cut -f1) MiB"
fill "$N" $((N + 100))
echo "== 100 new messages, incremental sync =="
echo "mbsync <- Dovecot (baseline): $(sync direct) s, $(count direct) messages"
echo "mbsync <- mailseal bridge:    $(sync bridge) s, $(count bridge) messages"
echo "== a sync with nothing new =="
echo "mbsync <- Dovecot (baseline): $(sync direct) s"
echo "mbsync <- mailseal bridge:    $(sync bridge) s"
echo "== FETCH BODY.PEEK[] of cached messages, one at a time =="
echo "Dovecot: $(python3 bench/fetch_latency.py 127.0.0.1 "$DOVE" alice cloud-password-1 1000)"
echo "bridge:  $(python3 bench/fetch_latency.py 127.0.0.1 "$BRIDGE" alice@example.com "alice password 1" 1000)"
echo "== SEARCH and resynchronisation over the whole mailbox (cache warm) =="
echo "Dovecot: $(python3 bench/search_resync.py 127.0.0.1 "$DOVE" alice cloud-password-1)"
echo "bridge:  $(python3 bench/search_resync.py 127.0.0.1 "$BRIDGE" alice@example.com "alice password 1")"
