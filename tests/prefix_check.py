#!/usr/bin/env python3
"""prefix_check.py: read `kvsim trace --format json` of a batch with
--prefix-cache on stdin and check prefix sharing (spec §6.8, with the
window rule of sim/paged.h) against the rule written out here again:

  - each sequence's shared_rows s: for every earlier prompt of L' tokens
    with c common leading tokens, B*floor(c/B) capped at L - 1, kept only
    when that prompt still holds the rows the first computed row reads
    (no window, W = 1, L' <= W, or s >= L' - 1); with --chunk C only the
    full blocks of what the donor holds after its first step (its shared
    rows and one chunk); the most rows, the earliest on a tie;
  - its prefill: n = L - s, t = L (or chunks of C rows from s, spec §6.7),
    the MACs of each block of rows (keys from max(0, p0 - W + 1), spec
    §6.3 / §6.7), and the masked cells; decode steps are plain, or with
    --speculate verify steps of 1 + drafted rows (§6.9) whose rejected
    rows are rolled back;
  - shared_blocks: the donor's blocks holding a shared position the
    sequence keeps after its first step (>= t - W), nothing for the
    others (holes);
  - the pool replayed with reference counts from the blocks each step
    took, shared and gave back: blocks in use, shared blocks and reserved
    bytes each step, and every block table at the end.
Exit 0 when everything matches, 1 otherwise (one line per mismatch).
tests/trace_check.py runs check() on every --prefix-cache batch."""
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
    if cfg.get("rope"):   # spec 6.10: two MACs per rotated element of q and k
        macs["rope"] = 2 * n * (d + kv) * Lyr
    macs["total"] = sum(macs.values())
    return macs, (cells - visible) * d * Lyr


def held_ok(rows, donor_len, W):
    """sim/paged.h's rule: the donor, after holding donor_len rows under a
    window W, still holds every row the first computed row (at position
    rows) reads."""
    if W <= 0 or rows < 1:
        return True
    fk, df = max(0, rows - W + 1), max(0, donor_len - W)
    return fk >= rows or fk >= df


def shared_rows(cfg, prompts, r, shared):
    """(s, donor) of sequence r, given the shared rows of the earlier ones.
    With --chunk a donor holds, when r's first chunk runs (right after the
    donor's first step), only its shared rows and its first chunk: s stays
    within the full blocks of those (sim/run.c donor_held/donor_rows)."""
    B, W, C = cfg["block_size"], cfg.get("window", 0), cfg.get("chunk", 0)
    b = prompts[r]
    best, donor = 0, -1
    for j in range(r):
        a = prompts[j]
        c = 0
        while c < len(a) and c < len(b) and a[c] == b[c]:
            c += 1
        s = min(B * (c // B), len(b) - 1)
        held = shared[j] + C if (C and len(a) - shared[j] > C) else len(a)
        if held < len(a):
            s = min(s, held // B * B)
        if held_ok(s, held, W) and held_ok(s, len(a), W) and s > best:
            best, donor = s, j
    return best, donor


def prefill_steps(cfg, L, s):
    """The prefill of rows s .. L-1: one step, or chunks of C (spec 6.7)."""
    C = cfg.get("chunk", 0)
    n = L - s
    return -(-n // C) if C else 1


def check(doc):
    """The mismatches of a --prefix-cache batch trace, and how many
    sequences share."""
    cfg, batch = doc["config"], doc["batch"]
    B, W = cfg["block_size"], cfg.get("window", 0)
    bpp = 2 * cfg["n_layers"] * kv_dim(cfg) * F32
    prompts = [sq["prompt"] for sq in batch]
    errors = []
    plan = []
    for r in range(len(batch)):
        plan.append(list(shared_rows(cfg, prompts, r, [p[0] for p in plan])))
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
                s = plan[q][0] = st.get("shared_rows", 0)
            chunks = prefill_steps(cfg, L, s)
            if k < chunks:
                # the prefill from row s, whole or in chunks of C (6.7); the last one runs the head
                p0 = s + k * C if C else s
                want_n = min(C, L - p0) if C else L - s
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
                # what it keeps after its first step: rows up to s + the first chunk (all L without --chunk)
                t0 = s + (min(C, L - s) if C else L - s)
                keep = max(0, t0 - W) if W else 0
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
    return errors, sum(1 for s, _ in plan if s)


def main():
    doc = json.load(sys.stdin)
    if not doc.get("config", {}).get("prefix_cache") or "batch" not in doc:
        print("prefix check: not a --prefix-cache batch")
        return 1
    errors, n_shared = check(doc)
    for e in errors:
        print(e)
    print(f"prefix check: {len(doc['batch'])} sequences, {n_shared} sharing, {len(errors)} mismatches")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
