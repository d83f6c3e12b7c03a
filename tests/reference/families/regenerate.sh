#!/usr/bin/env bash
# Rewrites NAME.reference.json for every case of cases.json: random weights written by our own
# init-random (deterministic per seed), then the independent numpy port of HF's modeling code.
# Needs python3 with numpy (Debian: apt-get install python3-numpy); PYTHON overrides the interpreter.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
python="${PYTHON:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
steps=$("$python" -c "import json,sys; print(json.load(open(sys.argv[1]))['steps'])" "$here/cases.json")
"$python" -c "import json,sys; [print(c['name'], c['seed'], c['init_std'], c['norm_std'], c['dtype'], ','.join(map(str, c['prompt_ids']))) for c in json.load(open(sys.argv[1]))['cases']]" "$here/cases.json" |
while read -r name seed std nstd dtype ids; do
  "$repo/adapters" init-random --shape "$here/configs/$name.json" --format hf --seed "$seed" --init-std "$std" --norm-std "$nstd" --dtype "$dtype" --out "$tmp/$name" 2>/dev/null
  # Written beside the weights first: a failed run (no numpy, a reader error) leaves the committed file as it was.
  "$python" "$here/reference_forward.py" "$tmp/$name" --prompt-ids "$ids" --steps "$steps" > "$tmp/$name.reference.json"
  mv "$tmp/$name.reference.json" "$here/$name.reference.json"
  echo "$name: greedy $("$python" -c "import json,sys; print(json.load(open(sys.argv[1]))['greedy_ids'])" "$here/$name.reference.json")"
done
