#!/usr/bin/env python3
"""prefix_check.py: read `kvsim trace --format json` of a batch with
--prefix-cache on stdin and check prefix sharing (spec §6.8, with the
window rule of sim/paged.h) against the rule written out here again:

  - each sequence's shared_rows s: for every earlier prompt of L' tokens
    with c common leading tokens, B*floor(c/B) capped at L - 1, kept only
    when that prompt still holds the rows the first computed row reads
    (no window, W = 1, L' <= W, or s >= L' - 1); the most rows, the
    earliest on a tie;
  - with --chunk C, a donor gives at most the full blocks it holds after
    its first step (s' + C rows when its prompt goes on, s' its own shared
    rows; docs/serving.md), and must keep what is read both then and after
    its prompt;
  - its prefill: n = L - s, t = L (with --chunk: chunks of C rows from s,
    the head in the last), the MACs of a block of n rows from
    position s (keys from max(0, s - W + 1), spec §6.3 / §6.7), and the
    masked cells; decode steps are plain, or with --speculate verify steps
    of 1 + drafted rows (§6.9) whose rejected rows are rolled back;
  - shared_blocks: the donor's blocks holding a shared position the
    sequence keeps (>= L - W), nothing for the others (holes);
  - the pool replayed with reference counts from the blocks each step
    took, shared and gave back: blocks in use, shared blocks and reserved
    bytes each step, and every block table at the end.
Exit 0 when everything matches, 1 otherwise (one line per mismatch)."""
import json
import sys

F32 = 4


def kv_dim(cfg):
    return cfg.get("n_kv_heads", cfg["n_heads"]) * (cfg["d_model"] // cfg["n_heads"])


def first_key(W, p):
    return max(0, p - W + 1) if W else 0


def block_macs(cfg, p0, n, head):
    """A cache step over rows p0 .. p0+n-1 whose keys start at first_key(p0)."""
    d, F, V, Lyr, kv, W = cfg["d_model"], cfg["d_ff"], cfg["vocab"], cfg["n_layers"], kv_dim(cfg), cfg.get("window", 0)
    t, lo = p0 + n, first_key(W, p0)
    cells = n * (t - lo)
    visible = sum(p + 1 - first_key(W, p) for p in range(p0, t))
    macs = {"qkv": (n * d * d + 2 * n * d * kv) * Lyr, "scores": cells * d * Lyr, "values": cells * d * Lyr,
            "out_proj": n * d * d * Lyr, "ffn": 2 * n * d * F * Lyr, "lm_head": head * d * V}
    macs["total"] = sum(macs.values())
    return macs, (cells - visible) * d * Lyr


def shared_rows(cfg, prompts, r, plan):
    B, W, C = cfg["block_size"], cfg.get("window", 0), cfg.get("chunk", 0)
    b = prompts[r]
    best, donor = 0, -1

    def keeps(s, rows):   # a donor holding `rows` rows still holds what row s reads
        return W <= 1 or rows <= W or s >= rows - 1
    for j in range(r):
        a = prompts[j]
        c = 0
        while c < len(a) and c < len(b) and a[c] == b[c]:
            c += 1
        s = min(B * (c // B), len(b) - 1)
        # --chunk: the first chunk runs right after the donor's first step and
        # shares only the full blocks the donor holds then (docs/serving.md)
        sj = plan[j][0]
        dh = sj + C if C and len(a) - sj > C else len(a)
        s = min(s, dh if dh >= len(a) else B * (dh // B))
        if keeps(s, dh) and keeps(s, len(a)) and s > best:
            best, donor = s, j
    return best, donor


def main():
    doc = json.load(sys.stdin)
    cfg, batch = doc["config"], doc["batch"]
    B, W = cfg["block_size"], cfg.get("window", 0)
    bpp = 2 * cfg["n_layers"] * kv_dim(cfg) * F32
    prompts = [sq["prompt"] for sq in batch]
    errors = []
    plan = []
    for r in range(len(batch)):
        plan.append(shared_rows(cfg, prompts, r, plan))
    C = cfg.get("chunk", 0)
    refs = {}                                   # physical block -> table entries holding it
    held = [set() for _ in batch]
    spec = cfg.get("speculate", 0)
    steps = max(len(sq["steps"]) for sq in batch)
    kept = [len(p) for p in prompts]            # rows each cache holds after its step
    for k in range(steps):
        for q, sq in enumerate(batch):
            if k >= len(sq["steps"]):
                continue                        # a speculating sequence that finished
            L, st = len(prompts[q]), sq["steps"][k]
            s, donor = plan[q]
            if k == 0 and st.get("shared_rows") != s:
                errors.append(f"seq {q}: shared_rows {st.get('shared_rows')}, the rule says {s}")
                s = plan[q][0] if "shared_rows" not in st else st["shared_rows"]
                plan[q] = (s, donor)
            size = C if C else L - s            # --chunk: the prefill in chunks of C after s
            chunks = -(-(L - s) // size)
            if k < chunks:
                p0 = s + k * size
                want_n = min(size, L - p0)
                want_t = p0 + want_n
                macs, masked = block_macs(cfg, p0, want_n, 1 if k == chunks - 1 else 0)
            else:
                # a decode step after the last token (--speculate: with its drafts, every row to the head)
                want_n = 1 + (st.get("drafted", 0) if spec else 0)
                want_t = kept[q] + want_n
                macs, masked = block_macs(cfg, kept[q], want_n, want_n)
            if st["n"] != want_n or st["t"] != want_t:
                errors.append(f"seq {q} step {k}: n {st['n']}, t {st['t']}, want {want_n}, {want_t}")
            kept[q] = want_t - (want_n - 1 - st.get("accepted", 0) if k >= chunks and spec else 0)
            if {key: st["macs"][key] for key in macs} != macs or st["masked_macs"] != masked:
                errors.append(f"seq {q} step {k}: macs {st['macs']} masked {st['masked_macs']}, "
                              f"want {macs} masked {masked}")
            for b in st["freed_blocks"]:
                if b not in held[q]:
                    errors.append(f"seq {q} step {k}: lets go of block {b} it does not hold")
                    continue
                held[q].discard(b)
                refs[b] -= 1
            for b in st["new_blocks"]:
                if refs.get(b, 0):
                    errors.append(f"seq {q} step {k}: takes block {b}, held {refs[b]} times")
                refs[b] = 1
                held[q].add(b)
            if k == 0:
                keep = max(0, want_t - W) if W else 0   # what the receiver keeps after its first step
                want = sum(1 for lb in range(-(-s // B)) if max(lb * B, keep) < min((lb + 1) * B, s))
                if len(st["shared_blocks"]) != want:
                    errors.append(f"seq {q}: shares blocks {st['shared_blocks']}, want {want} of them")
                for b in st["shared_blocks"]:
                    if donor < 0 or b not in held[donor]:
                        errors.append(f"seq {q}: shares block {b}, not one its donor {donor} holds")
                    refs[b] = refs.get(b, 0) + 1
                    held[q].add(b)
            t = kept[q]
            gone = (t - W if (W and t > W) else 0) // B
            if len(held[q]) != -(-t // B) - gone or st["kv_blocks"] != len(held[q]):
                errors.append(f"seq {q} step {k}: holds {sorted(held[q])}, kv_blocks {st['kv_blocks']}")
        ps = doc["pool"]["steps"][k]
        used = sum(1 for n in refs.values() if n > 0)
        shared = sum(1 for n in refs.values() if n > 1)
        got = (ps["blocks_used"], ps["blocks_shared"], ps["kv_reserved_bytes"])
        if got != (used, shared, used * B * bpp):
            errors.append(f"pool step {k}: got {got}, want {(used, shared, used * B * bpp)}")
    for q, sq in enumerate(batch):
        table = sq["block_table"]
        if set(b for b in table if b >= 0) != held[q]:
            errors.append(f"seq {q}: block_table {table}, replayed {sorted(held[q])}")
    for e in errors:
        print(e)
    n_shared = sum(1 for s, _ in plan if s)
    print(f"prefix check: {len(batch)} sequences, {n_shared} sharing, {len(errors)} mismatches")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
