# Sourced by the benches. `first_ssh_ms RUNS CMD...` prints, in ms, the best over RUNS runs of the time
# from starting CMD to the first ssh it spawns. That ssh is a stand-in on PATH which notes the time and
# fails, so no node has to answer.
first_ssh_ms() {
  local runs=$1 dir s
  shift
  dir=$(mktemp -d)
  printf '#!/bin/sh\n[ -f %s/first ] || date +%%s%%N >%s/first\nexit 255\n' "$dir" "$dir" >"$dir/ssh"
  chmod +x "$dir/ssh"
  for _ in $(seq "$runs"); do
    rm -f "$dir/first"; s=$(date +%s%N)
    PATH="$dir:$PATH" "$@" >/dev/null 2>&1 || true
    echo $(( ($(cat "$dir/first") - s) / 1000000 ))
  done | sort -n | head -1
  rm -rf "$dir"
}
