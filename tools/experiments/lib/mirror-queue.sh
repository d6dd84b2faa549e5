# A queue of PyTorch-mirror runs shared by lanes of one thread each (sourced by the mirror-*.sh scripts).
# Set OUT (the run folder) and QUEUE (items "tag seed config eval-at overrides..."; an override starting
# with -- goes to the mirror as is), then call lanes. One JSON-lines file per run, $OUT/<tag>-s<seed>.jsonl,
# skipped when present or when another lane holds its lock. lanes lists the runs that failed (with
# their log's tail) and returns 1 when any did.
run() {
  local tag=$1 seed=$2 cfg=$3 at=$4; shift 4
  local out=$OUT/$tag-s$seed.jsonl
  [ -s "$out" ] && return
  mkdir "$OUT/$tag-s$seed.lock" 2>/dev/null || return
  local sets=(); for s in "$@"; do case $s in --*) sets+=("$s") ;; *) sets+=(--set "$s") ;; esac; done
  rm -f "$out.part"
  OMP_NUM_THREADS=1 /usr/bin/python3 tools/reference/reproduce_mirror.py --eval-images 2048 --readouts clsmean \
    --config "$cfg" "${sets[@]}" --seeds "$seed" --eval-at "$at" --tag "$tag" --out "$out.part" \
    > "$OUT/$tag-s$seed.log" 2>&1 && mv "$out.part" "$out"
  rmdir "$OUT/$tag-s$seed.lock"
}
lane() { for item in "${QUEUE[@]}"; do run $item; done; }
lanes() {
  mkdir -p "$OUT"
  for i in $(seq "${LANES:-2}"); do lane & sleep 1; done
  wait
  local failed=0 item tag seed
  for item in "${QUEUE[@]}"; do
    read -r tag seed _ <<< "$item"
    [ -s "$OUT/$tag-s$seed.jsonl" ] && continue
    failed=$((failed + 1))
    echo "failed: $tag seed $seed (log: $OUT/$tag-s$seed.log)"; tail -3 "$OUT/$tag-s$seed.log" 2>/dev/null | sed 's/^/  /'
  done
  [ "$failed" = 0 ] || { echo "$failed of ${#QUEUE[@]} runs failed; fix the cause and rerun to continue"; return 1; }
  echo "done: ${#QUEUE[@]} runs in $OUT"
}
