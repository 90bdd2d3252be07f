#!/usr/bin/env bash
# Firebird 3 for the Raks and Fakt tests: install Debian's server if missing, give SYSDBA a
# known password, listen on 127.0.0.1 only, start it without systemd, wait for port 3050.
#
# Run as root (CI: Debian 12, no systemd). Idempotent: a second run changes nothing and only
# starts the server when it is not running. The password is KONEKTO_FB_PASSWORD (default
# "masterkey", the tests use the same variable); it is never printed.
set -euo pipefail

FB_VER="3.0"
ETC="/etc/firebird/$FB_VER"
CONF="$ETC/firebird.conf"
PASSWORD_FILE="$ETC/SYSDBA.password"
SECURITY_DB="/var/lib/firebird/$FB_VER/system/security3.fdb"
RUN_DIR="/run/firebird$FB_VER"
FBGUARD="/usr/sbin/fbguard"
PORT=3050
PASSWORD="${KONEKTO_FB_PASSWORD:-masterkey}"

say() { echo "firebird.sh: $*"; }

if [ "$(id -u)" -ne 0 ]; then
  say "must run as root (it installs and starts a server)" >&2
  exit 1
fi

listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

# 1. Install (the package's own start is refused without systemd/runlevels; that is fine).
if ! dpkg -s firebird3.0-server >/dev/null 2>&1; then
  say "installing firebird3.0-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq firebird3.0-server >/dev/null
fi

# 2. Listen on the loopback address only (Debian's "localhost" may also mean ::1).
if grep -qE '^\s*RemoteBindAddress\s*=' "$CONF"; then
  sed -i -E 's/^\s*RemoteBindAddress\s*=.*/RemoteBindAddress = 127.0.0.1/' "$CONF"
else
  echo "RemoteBindAddress = 127.0.0.1" >>"$CONF"
fi

mkdir -p "$RUN_DIR"
chown firebird:firebird "$RUN_DIR"
chmod 0770 "$RUN_DIR"

# 3. The SYSDBA password, as Debian's own maintainer scripts set it: with the server stopped,
#    an embedded isql session on the security database (run as the firebird user, so that no
#    lock file ends up owned by root).
current_password() {
  (
    ISC_PASSWORD=""
    # shellcheck disable=SC1090
    [ -r "$PASSWORD_FILE" ] && . "$PASSWORD_FILE"
    printf '%s' "${ISC_PASSWORD:-}"
  )
}

remember_password() {
  # Single-quoted, so that the file can be sourced whatever the password contains.
  local quoted="'${PASSWORD//\'/\'\\\'\'}'"
  local kept
  kept=$(grep -v '^ *ISC_PASSWORD=' "$PASSWORD_FILE" 2>/dev/null || true)
  printf '%s\nISC_PASSWORD=%s\n' "$kept" "$quoted" >"$PASSWORD_FILE"
  chmod 0600 "$PASSWORD_FILE"
}

set_password_offline() {
  local quoted
  quoted=$(printf '%s' "$PASSWORD" | sed "s/'/''/g")
  echo "create or alter user sysdba password '$quoted';" |
    runuser -u firebird -- isql-fb -q -user sysdba "$SECURITY_DB" >/dev/null
}

set_password_online() {
  # The server is running (started by someone else): change the password through it, logged
  # in with the one Debian's installer wrote down.
  local old
  old=$(current_password)
  ISC_USER=sysdba ISC_PASSWORD="$old" gsec -database "127.0.0.1/$PORT:security.db" -modify sysdba -pw "$PASSWORD" >/dev/null
}

password_works() {
  ISC_USER=sysdba ISC_PASSWORD="$PASSWORD" gsec -database "127.0.0.1/$PORT:security.db" -display sysdba >/dev/null 2>&1
}

if [ "$(current_password)" != "$PASSWORD" ]; then
  if pgrep -x fbguard >/dev/null || pgrep -x firebird >/dev/null; then
    say "setting the SYSDBA password through the running server"
    set_password_online
  else
    say "setting the SYSDBA password"
    set_password_offline
  fi
  remember_password
fi

# 4. Start without systemd: fbguard restarts the server if it dies.
if ! pgrep -x fbguard >/dev/null && ! listening; then
  say "starting the server"
  runuser -u firebird -- "$FBGUARD" -daemon -forever -pidfile "$RUN_DIR/firebird.pid"
fi

for _ in $(seq 1 60); do
  if listening; then
    break
  fi
  sleep 0.5
done
if ! listening; then
  say "the server does not accept connections on 127.0.0.1:$PORT (see /var/log/firebird)" >&2
  exit 1
fi

# A server started earlier with another configuration may listen elsewhere: say so, do not
# stop a server this run did not start.
if command -v ss >/dev/null 2>&1; then
  exposed=$(ss -Hltn "sport = :$PORT" | awk '{print $4}' | grep -v '^127\.0\.0\.1:' || true)
  if [ -n "$exposed" ]; then
    say "port $PORT is also open on: $exposed; restart the server to listen on 127.0.0.1 only" >&2
    exit 1
  fi
fi

if ! password_works; then
  say "the SYSDBA password is not the one in KONEKTO_FB_PASSWORD; fixing it" >&2
  set_password_online
  remember_password
fi
say "Firebird $FB_VER is listening on 127.0.0.1:$PORT"
