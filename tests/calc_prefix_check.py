#!/usr/bin/env python3
"""calc_prefix_check.py KVSIM: `kvsim calc --shared-prefix S` against the
block pool the simulator measures, with and without a sliding window.

For each configuration (B sequences, context T, shared prefix S, blocks
of P, window W or none) it runs, on kvsim's tiny shape in fp32:

  - kvsim trace --format json --gen 1 --block-size P [--window W] with B
    prompts of T tokens whose first S are the same (then a different
    letter per prompt; S = T: the same prompt B times), once with
    --prefix-cache and once without;
  - kvsim calc with the same B, T, S, P and W.

Calc describes the pool right after the prefills, which is the trace's
pool step 0. Checked, exactly: the reserved bytes with sharing
(prefix_kv_bytes_shared) and without (prefix_kv_bytes_unshared), the
blocks held by more than one table (shared_blocks), every later
sequence's shared rows (shared_rows; their sum is
prefix_prefill_rows_saved), and every sequence's live blocks
(blocks_per_sequence). The configurations are a fixed list of edge cases
plus a seeded random sample; the script also checks that they cover
W = 1, W < P, W < S, W > S, W >= T, sharing kept and sharing refused by
the window, so the check cannot pass on a grid that misses them.

Prints one line per mismatch and a closing line; exit 0 when all agree."""
import json
import random
import subprocess
import sys

PREFIX = "abcdefghijklmnopqrstuvwxyz0123456789"   # the shared prompt's tokens
OWN = "ABCDEFGHIJ"                               # one per sequence after it


def run(k, *args):
    out = subprocess.run([k, *map(str, args)], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def check(k, B, T, S, P, W):
    """[] when calc and the trace agree, else one message per mismatch."""
    prompts = [PREFIX[:S] + OWN[i] * (T - S) for i in range(B)]
    trace = ["trace", "--format", "json", "--d-model", "8", "--gen", "1", "--block-size", P]
    if W:
        trace += ["--window", W]
    for p in prompts:
        trace += ["--prompt", p]
    shared = run(k, *trace, "--prefix-cache")
    alone = run(k, *trace)
    calc = ["calc", "--d-model", "8", "--heads", "2", "--layers", "2", "--d-ff", "32", "--vocab", "1073",
            "--dtype", "fp32", "--context", T, "--batch", B, "--shared-prefix", S, "--block-size", P,
            "--format", "json"]
    if W:
        calc += ["--window", W]
    c = run(k, *calc)
    pool_s, pool_a = shared["pool"]["steps"][0], alone["pool"]["steps"][0]
    rows = [seq["steps"][0]["shared_rows"] for seq in shared["batch"]]
    live = {seq["steps"][0]["kv_blocks"] for seq in shared["batch"] + alone["batch"]}
    want = {
        "prefix_kv_bytes_shared": pool_s["kv_reserved_bytes"],
        "prefix_kv_bytes_unshared": pool_a["kv_reserved_bytes"],
        "shared_blocks": pool_s["blocks_shared"] if B > 1 else c["shared_blocks"],
        "shared_rows": rows[1] if B > 1 else c["shared_rows"],
        "prefix_prefill_rows_saved": sum(rows),
        "prefix_kv_bytes_saved": pool_a["kv_reserved_bytes"] - pool_s["kv_reserved_bytes"],
    }
    msgs = [f"{key}: calc {c[key]}, trace {v}" for key, v in want.items() if c[key] != v]
    if any(r != rows[-1] for r in rows[1:]):
        msgs.append(f"the later sequences share different rows: {rows}")
    if live != {c["blocks_per_sequence"]}:
        msgs.append(f"blocks_per_sequence: calc {c['blocks_per_sequence']}, trace {sorted(live)}")
    return msgs


def configs():
    # (B, T, S, P, W); W = 0: no window
    fixed = [
        (3, 10, 8, 4, 0), (3, 10, 10, 3, 4), (3, 10, 9, 3, 4), (3, 10, 9, 3, 1), (2, 2, 2, 1, 1),
        (2, 2, 1, 1, 1), (4, 16, 16, 4, 6), (4, 16, 15, 5, 6), (4, 16, 12, 4, 6), (3, 13, 13, 4, 2),
        (3, 13, 13, 4, 3), (3, 13, 12, 4, 12), (3, 13, 12, 6, 12), (5, 20, 17, 3, 5), (2, 9, 1, 1, 3),
        (3, 16, 15, 16, 4), (3, 12, 12, 4, 12), (3, 12, 12, 4, 20), (1, 12, 12, 4, 3), (4, 24, 24, 8, 7),
        (4, 24, 23, 1, 1), (4, 24, 23, 1, 2), (3, 11, 11, 5, 3), (3, 11, 10, 5, 3), (3, 11, 10, 5, 1),
        (6, 30, 30, 6, 29), (6, 30, 29, 7, 28), (2, 7, 7, 7, 6), (2, 7, 7, 8, 6), (3, 8, 8, 2, 1),
        # without a window (the cases test_calc.sh checked before)
        (2, 13, 5, 4, 0), (4, 12, 12, 4, 0), (3, 8, 8, 4, 0), (5, 20, 17, 3, 0), (2, 9, 1, 1, 0), (3, 16, 15, 16, 0),
    ]
    rnd = random.Random(20261203)
    sample = []
    while len(sample) < 150:
        T = rnd.randint(2, 30)
        S = rnd.choice([T, T, T - 1, rnd.randint(1, T)])
        S = max(S, 1)
        P = rnd.randint(1, 9)
        W = rnd.choice([0, 1, 1, 2, rnd.randint(1, T), rnd.randint(1, T), T - 1, T + 2])
        sample.append((rnd.randint(1, 5), T, S, P, max(W, 0)))
    return fixed + sample


def main():
    k = sys.argv[1] if len(sys.argv) > 1 else "build/kvsim"
    cover = {"W = 1": 0, "W < P": 0, "W < S": 0, "W > S": 0, "W >= T": 0, "kept under a window": 0,
             "refused by the window": 0, "no window": 0}
    failed = 0
    cases = configs()
    for B, T, S, P, W in cases:
        msgs = check(k, B, T, S, P, W)
        for m in msgs:
            print(f"  B={B} T={T} S={S} P={P} W={W}: {m}")
        failed += bool(msgs)
        if not W:
            cover["no window"] += 1
            continue
        cover["W = 1"] += W == 1
        cover["W < P"] += W < P
        cover["W < S"] += W < S
        cover["W > S"] += W > S
        cover["W >= T"] += W >= T
        matched = min(P * (S // P), T - 1)
        held = W == 1 or W >= T or matched >= T - 1
        cover["kept under a window"] += W < T and held and matched > 0 and B > 1
        cover["refused by the window"] += W < T and not held and matched > 0 and B > 1
    thin = [name for name, n in cover.items() if n < 5]
    if thin:
        print(f"  the configurations do not cover: {', '.join(thin)} ({cover})")
        failed += 1
    print(f"calc_prefix_check: {len(cases) - failed} of {len(cases)} configurations agree with the trace's pool")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
