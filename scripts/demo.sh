#!/usr/bin/env bash
# npm run demo: a 3-node lab on this machine, examples/demo.yaml applied, then verified for real.
# Run it as root on Linux; run it again at will (the lab is rebuilt); `npm run demo:down` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f oclif.manifest.json ] && [ -f dist/netctl.cjs ] || npm run build >/dev/null
netctl=./bin/run.cjs
$netctl lab up --nodes 3
$netctl apply -f examples/demo.yaml --auto-approve
$netctl verify -f examples/demo.yaml --serve
in_pod() { nsenter -t "$(cat /tmp/netctl-lab/node1.pid)" -m -n ip netns exec client-1 "$@"; }
echo
echo "Cluster DNS, from pod client-1 on node1:"
echo "  \$ getent hosts web"
in_pod getent hosts web | sed 's/^/  /'
echo "  \$ dig +short SRV _http._tcp.web.default.svc.cluster.local"
in_pod dig +short SRV _http._tcp.web.default.svc.cluster.local | sed 's/^/  /'
cat <<'NEXT'

The demo network is up. Try next:
  ./bin/run.cjs plan -f examples/demo.yaml                 # nothing to do: the hosts match the spec
  ./bin/run.cjs show -f examples/demo.yaml                 # what netctl owns on each node
  ./bin/run.cjs preflight -f examples/demo.yaml            # every host check, and VXLAN between the nodes
  ./bin/run.cjs graph -f examples/demo.yaml --observed     # the network as the hosts serve it (Mermaid)
  nsenter -t "$(cat /tmp/netctl-lab/node1.pid)" -m -n ip netns exec client-1 getent hosts web.default.svc.cluster.local
  edit examples/demo.yaml (add a pod), then: ./bin/run.cjs plan -f examples/demo.yaml
  npm run demo:down                                       # remove the lab
NEXT
