#!/usr/bin/env bash
# A lab of Linux "nodes" for end-to-end tests: each node is a network namespace with a private mount
# namespace (its own /run/netns) and its own sshd, joined by a bridge in a switch namespace. The machine
# running the tests reaches them through a veth on the same bridge.
#
#   netctl-lab.sh up N     create N nodes (203.0.113.1..N), print the lab directory
#   netctl-lab.sh down     remove everything `up` made, and only that (safe to run at any time)
#   netctl-lab.sh status   list the lab's nodes
# NETCTL_LAB_PREFIX and NETCTL_LAB_DIR name a lab (`netctl lab --name`); one lab runs at a time, since
# every lab uses 203.0.113.0/24.
#
# Addresses come from TEST-NET-3 (203.0.113.0/24), which nothing on these machines routes (checked);
# each node's default gateway is 203.0.113.253, which nothing answers, so no packet leaves the lab.
set -euo pipefail

PREFIX=${NETCTL_LAB_PREFIX:-nlab}
DIR=${NETCTL_LAB_DIR:-/tmp/netctl-lab}
SUBNET=203.0.113
HOST_IF=${PREFIX}-host

down() {
  set +e
  if [ -d "$DIR" ]; then
    for pidfile in "$DIR"/node*.pid; do
      [ -f "$pidfile" ] || continue
      # Everything living in a node's mount namespace goes with it: its sshd and sessions, and any
      # process a test started inside the node or one of its pods.
      local mnt p pod node_pid
      node_pid=$(cat "$pidfile")
      mnt=$(readlink "/proc/$node_pid/ns/mnt" 2>/dev/null) || continue
      # Processes in pod namespaces (started with `ip netns exec`, which gives them a mount namespace
      # of their own) are found through the node's list of namespaces.
      for pod in $(nsenter -t "$node_pid" -m ip netns list 2>/dev/null | cut -d' ' -f1); do
        for p in $(nsenter -t "$node_pid" -m ip netns pids "$pod" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
      done
      for p in /proc/[0-9]*; do
        [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$mnt" ] && kill -9 "${p#/proc/}" 2>/dev/null
      done
    done
  fi
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${PREFIX}-"); do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  ip link del "$HOST_IF" 2>/dev/null
  rm -rf "$DIR"
  return 0
}

# Blocks until sshd of node $1 logs that it listens (or 10 s pass), reading its log as it grows.
wait_for_sshd() {
  local log="$DIR/node$1.log" line fd tail_pid
  exec {fd}< <(timeout 10 tail -n +1 -F "$log" 2>/dev/null)
  tail_pid=$!
  while IFS= read -r -u "$fd" line; do
    if [[ $line == *"Server listening"* ]]; then
      kill "$tail_pid" 2>/dev/null || true
      exec {fd}<&-
      return 0
    fi
  done
  exec {fd}<&-
  echo "lab: sshd of node$1 did not start: $(cat "$log" 2>/dev/null)" >&2
  return 1
}

up() {
  local count=$1
  down
  if ip route show | grep -q "^${SUBNET}\."; then
    echo "lab: ${SUBNET}.0/24 is already routed on this machine; refusing to build the lab over it" >&2
    exit 1
  fi
  trap 'echo "lab: setup failed, cleaning up" >&2; down' ERR
  # /etc/netns must exist to be mounted over: each node gets its own (pods' resolv.conf files).
  mkdir -p "$DIR" /run/sshd /etc/netns
  chmod 700 "$DIR"
  ssh-keygen -q -t ed25519 -N '' -C netctl-lab -f "$DIR/id_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C netctl-lab-host -f "$DIR/host_key"
  cp "$DIR/id_ed25519.pub" "$DIR/authorized_keys"

  ip netns add "${PREFIX}-switch"
  ip -n "${PREFIX}-switch" link add br0 type bridge
  ip -n "${PREFIX}-switch" link set br0 up
  ip link add "$HOST_IF" type veth peer name host netns "${PREFIX}-switch"
  ip -n "${PREFIX}-switch" link set host master br0 up
  ip addr add "${SUBNET}.254/24" dev "$HOST_IF"
  ip link set "$HOST_IF" up

  : >"$DIR/known_hosts"
  for i in $(seq 1 "$count"); do
    local ns="${PREFIX}-node${i}" address="${SUBNET}.${i}"
    ip netns add "$ns"
    ip link add "n${i}" netns "${PREFIX}-switch" type veth peer name eth0 netns "$ns"
    ip -n "${PREFIX}-switch" link set "n${i}" master br0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "${address}/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "${SUBNET}.253"
    cat >"$DIR/sshd_node${i}" <<CONF
ListenAddress ${address}
Port 22
HostKey ${DIR}/host_key
AuthorizedKeysFile ${DIR}/authorized_keys
PidFile ${DIR}/node${i}.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel VERBOSE
MaxSessions 100
MaxStartups 100:30:200
CONF
    # The node's own mount namespace gives it its own /run (so its own /run/netns and /run/netctl), so
    # pod namespaces and locks of different nodes never meet, and its own empty /root, so sessions do
    # not run this machine's shell start-up files (bash reads ~/.bashrc for every SSH command) but
    # start as on a plain host. sshd -D stays in the foreground of this background job; its log says
    # when it listens.
    ip netns exec "$ns" unshare --mount --propagation private -- sh -c \
      "mount -t tmpfs -o mode=755 tmpfs /run && mount -t tmpfs -o mode=755 tmpfs /etc/netns && mount -t tmpfs -o mode=700 tmpfs /root && mkdir -p /run/netns /run/sshd && exec /usr/sbin/sshd -D -e -f '${DIR}/sshd_node${i}'" \
      >"$DIR/node${i}.log" 2>&1 &
    echo "${address} $(cut -d' ' -f1,2 "$DIR/host_key.pub")" >>"$DIR/known_hosts"
  done
  for i in $(seq 1 "$count"); do wait_for_sshd "$i"; done
  cat >"$DIR/ssh_config" <<CONF
Host ${SUBNET}.*
  User root
  IdentityFile ${DIR}/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile ${DIR}/known_hosts
  StrictHostKeyChecking yes
  ConnectTimeout 5
CONF
  trap - ERR
  echo "$DIR"
}

status() {
  [ -d "$DIR" ] || { echo "no lab at $DIR"; return 0; }
  echo "lab directory: $DIR (ssh config: $DIR/ssh_config)"
  for pidfile in "$DIR"/node*.pid; do
    [ -f "$pidfile" ] || continue
    local node pid state
    node=$(basename "$pidfile" .pid)
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then state="sshd running (pid $pid)"; else state="sshd not running"; fi
    echo "${node}: ${SUBNET}.${node#node} ${state}"
  done
}

case "${1:-}" in
  up) up "${2:-3}" ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up N | down | status" >&2; exit 2 ;;
esac
