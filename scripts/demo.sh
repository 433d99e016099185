#!/usr/bin/env bash
# npm run demo: a 3-node lab on this machine, examples/demo.yaml applied, then verified for real.
# Run it as root on Linux; run it again at will (the lab is rebuilt); `npm run demo:down` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f oclif.manifest.json ] && [ -d dist ] || npm run build >/dev/null
netctl=./bin/run.js
$netctl lab up --nodes 3
$netctl apply -f examples/demo.yaml --auto-approve
$netctl verify -f examples/demo.yaml --serve
cat <<'NEXT'

The demo network is up. Try next:
  ./bin/run.js plan -f examples/demo.yaml                 # nothing to do: the hosts match the spec
  ./bin/run.js show -f examples/demo.yaml                 # what netctl owns on each node
  nsenter -t "$(cat /tmp/netctl-lab/node1.pid)" -m -n ip netns exec client-1 ping -c1 10.244.181.1
  edit examples/demo.yaml (add a pod), then: ./bin/run.js plan -f examples/demo.yaml
  npm run demo:down                                       # remove the lab
NEXT
