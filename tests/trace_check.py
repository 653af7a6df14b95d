#!/usr/bin/env python3
"""trace_check.py: read `kvsim trace --format json` on stdin and check every
number against the closed forms of spec §4 / §6.1 - §6.5, written out here
again in Python: MACs, cache bytes, paged blocks (§6.4), memory traffic
(§6.5), and the batch's block pool (every block owned once, the pool's
totals). Exit 0 when everything matches, 1 otherwise."""
import json
import sys

F32 = 4


def kv_dim(cfg):
    return cfg.get("n_kv_heads", cfg["n_heads"]) * (cfg["d_model"] // cfg["n_heads"])


def paged(cfg, t):
    """Live blocks and reserved bytes of a cached sequence of t positions
    (spec 6.4): ceil(t / B), minus under a window W the floor((t - W) / B)
    blocks whose positions all left it. 0, 0 without a block size."""
    B, W = cfg.get("block_size", 0), cfg.get("window", 0)
    if not B:
        return 0, 0
    gone = t - W if (W and t > W) else 0
    blocks = -(-t // B) - gone // B
    return blocks, blocks * B * 2 * cfg["n_layers"] * kv_dim(cfg) * F32


def traffic(cfg, mode, n, t, first):
    """Spec 6.5 (see sim/traffic.h): every weight matrix once per step, the
    embedding rows used, each key position's K and V once per layer, and the
    rows the cache append stores (a ring keeps only the last W)."""
    d, F, V, Lyr, kv = cfg["d_model"], cfg["d_ff"], cfg["vocab"], cfg["n_layers"], kv_dim(cfg)
    W = cfg.get("window", 0)
    weights = Lyr * (d * d + 2 * d * kv + d * d + 2 * d * F) * F32 + d * V * F32 + 2 * n * d * F32
    kv_read = Lyr * (t - first) * kv * F32 * 2
    stored = min(n, W) if W else n
    kv_written = Lyr * stored * kv * F32 * 2 if mode == "cache" else 0
    return weights, kv_read, kv_written


def expected(cfg, mode, L, k):
    d, F, V, Lyr = cfg["d_model"], cfg["d_ff"], cfg["vocab"], cfg["n_layers"]
    kv = cfg.get("n_kv_heads", cfg["n_heads"]) * (d // cfg["n_heads"])   # spec 6.2
    W = cfg.get("window", 0)                                             # spec 6.3
    if mode == "cache":
        n, t = (L, L) if k == 0 else (1, L + k)
    elif mode == "recompute":
        n = t = L + k
    else:
        n = t = L
    # the computed block: dense n x t, except a cached decode row under a
    # window, which reads only the last min(t, W) keys
    first = t - W if (mode == "cache" and k > 0 and W and t > W) else 0
    cells = n * (t - first)
    discarded = sum(1 for i in range(n) for j in range(first, t)
                    if j > t - n + i or (W and j < t - n + i - W + 1))
    macs = {
        "qkv": (n * d * d + 2 * n * d * kv) * Lyr,
        "scores": cells * d * Lyr,
        "values": cells * d * Lyr,
        "out_proj": n * d * d * Lyr,
        "ffn": 2 * n * d * F * Lyr,
        "lm_head": (L if mode == "train" else 1) * d * V,
    }
    macs["total"] = sum(macs.values())
    held = min(t, W) if W else t
    kvb = 2 * Lyr * held * kv * 4 if mode == "cache" else 0
    blocks, reserved = paged(cfg, t) if mode == "cache" else (0, 0)
    return n, t, macs, d * Lyr * discarded, kvb, (blocks, reserved) + traffic(cfg, mode, n, t, first)


def intensity(macs, wbytes, kvbytes):
    return 2 * macs / (wbytes + kvbytes) if wbytes + kvbytes else 0


def got_traffic(s):
    return (s["kv_blocks"], s["kv_reserved_bytes"], s["weight_bytes_read"], s["kv_bytes_read"],
            s["kv_bytes_written"])


def check_batch(doc, errors):
    """The batch: each sequence's steps against the closed forms, and the
    shared pool replayed from the blocks each step took and gave back."""
    cfg, G = doc["config"], doc["gen"]
    batch, pool = doc["batch"], doc.get("pool")
    Lyr, kv, W, N = cfg["n_layers"], kv_dim(cfg), cfg.get("window", 0), cfg["max_seq"]
    B = cfg.get("block_size", 0)
    bpp = 2 * Lyr * kv * F32
    if batch[0]["prompt"] != doc["prompt"]:
        errors.append(f"batch[0] prompt {batch[0]['prompt']!r} != {doc['prompt']!r}")
    if "cache" in doc["modes"]:
        a = [s["token_id"] for s in doc["modes"]["cache"]["steps"]]
        if a != [s["token_id"] for s in batch[0]["steps"]]:
            errors.append("batch[0] tokens differ from modes.cache")
    if (pool is None) != (B == 0):
        errors.append(f"pool {pool!r} with block_size {B}")
    owner = {}                          # physical block -> sequence, replayed
    owned = [set() for _ in batch]
    cap = W if (W and W < N) else N     # a contiguous reservation per sequence
    for k in range(G):
        for q, sq in enumerate(batch):
            L = sq["prompt_len"]
            if len(sq["prompt"]) != L or len(sq["steps"]) != G:
                errors.append(f"batch[{q}]: prompt_len {L}, {len(sq['steps'])} steps")
                return
            st = sq["steps"][k]
            t = L + k
            blocks, reserved = paged(cfg, t)
            want = (k, t, blocks, reserved, 2 * Lyr * (min(t, W) if W else t) * kv * F32)
            got = (st["step"], st["t"], st["kv_blocks"], st["kv_reserved_bytes"], st["kv_cache_bytes"])
            if got != want:
                errors.append(f"batch[{q}] step {k}: got {got}, want {want}")
            for b in st["freed_blocks"]:
                if owner.get(b) != q:
                    errors.append(f"batch[{q}] step {k}: frees block {b} owned by {owner.get(b)}")
                owner.pop(b, None)
                owned[q].discard(b)
            for b in st["new_blocks"]:
                if b in owner or not (pool and 0 <= b < pool["n_blocks"]):
                    errors.append(f"batch[{q}] step {k}: takes block {b} (owner {owner.get(b)})")
                owner[b] = q
                owned[q].add(b)
            if len(owned[q]) != blocks:
                errors.append(f"batch[{q}] step {k}: owns {len(owned[q])} blocks, kv_blocks {blocks}")
        if pool:
            ps = pool["steps"][k]
            used = sum(2 * Lyr * (min(sq["prompt_len"] + k, W) if W else sq["prompt_len"] + k) * kv * F32
                       for sq in batch)
            n_used = sum(paged(cfg, sq["prompt_len"] + k)[0] for sq in batch)
            contiguous = len(batch) * cap * bpp
            want = (k, n_used, pool["n_blocks"] - n_used, n_used * B * bpp, used, n_used * B * bpp - used,
                    contiguous, contiguous - used)
            got = tuple(ps[key] for key in ("step", "blocks_used", "blocks_free", "kv_reserved_bytes",
                                            "kv_cache_bytes", "waste_bytes", "contiguous_reserved_bytes",
                                            "contiguous_waste_bytes"))
            if got != want or len(owner) != n_used:
                errors.append(f"pool step {k}: got {got}, want {want}, replayed {len(owner)} owned")
    if pool:
        if pool["n_blocks"] != len(batch) * -(-N // B) or pool["bytes_per_block"] != B * bpp:
            errors.append(f"pool size {pool['n_blocks']} blocks of {pool['bytes_per_block']} bytes")
        for q, sq in enumerate(batch):
            t = sq["prompt_len"] + G - 1    # after the last step
            table = sq["block_table"]
            gone = (t - W if (W and t > W) else 0) // B
            if (len(table) != -(-t // B) or table[:gone] != [-1] * gone or
                    set(b for b in table if b >= 0) != owned[q] or -1 in table[gone:]):
                errors.append(f"batch[{q}] block_table {table}, replayed {sorted(owned[q])}")


def main():
    doc = json.load(sys.stdin)
    cfg, L, G = doc["config"], doc["prompt_len"], doc["gen"]
    errors = []
    checked = 0
    want_phase = {"cache": lambda k: "prefill" if k == 0 else "decode",
                  "recompute": lambda k: "recompute", "train": lambda k: "train"}
    runs = dict(doc["modes"])
    if "train" in doc:
        runs["train"] = doc["train"]
    for mode, run in runs.items():
        steps = run["steps"]
        if len(steps) != (1 if mode == "train" else G):
            errors.append(f"{mode}: {len(steps)} steps")
        tot = {key: 0 for key in ("qkv", "scores", "values", "out_proj", "ffn", "lm_head", "total")}
        tot_masked = 0
        tot_bytes = [0, 0, 0]
        for s in steps:
            k = s["step"]
            n, t, macs, masked, kvb, mem = expected(cfg, mode, L, k)
            got = (s["n"], s["t"], s["macs"], s["masked_macs"], s["kv_cache_bytes"], s["phase"])
            if got != (n, t, macs, masked, kvb, want_phase[mode](k)):
                errors.append(f"{mode} step {k}: got {got}, want {(n, t, macs, masked, kvb)}")
            if got_traffic(s) != mem:
                errors.append(f"{mode} step {k}: blocks/traffic {got_traffic(s)}, want {mem}")
            if s["arithmetic_intensity"] != intensity(macs["total"], mem[2], mem[3]):
                errors.append(f"{mode} step {k}: intensity {s['arithmetic_intensity']}")
            tot_bytes = [a + b for a, b in zip(tot_bytes, mem[2:])]
            if not (0 <= s["token_id"] < cfg["vocab"]) or len(s["token"]) != 1:
                errors.append(f"{mode} step {k}: token {s['token']!r} id {s['token_id']}")
            for key in tot:
                tot[key] += macs[key]
            tot_masked += masked
            checked += 1
        if run["totals"]["macs"] != tot or run["totals"]["masked_macs"] != tot_masked:
            errors.append(f"{mode} totals: got {run['totals']}, want {tot} masked {tot_masked}")
        tt = run["totals"]
        if ([tt["weight_bytes_read"], tt["kv_bytes_read"], tt["kv_bytes_written"]] != tot_bytes or
                tt["arithmetic_intensity"] != intensity(tot["total"], tot_bytes[0], tot_bytes[1])):
            errors.append(f"{mode} totals traffic: got {tt}, want {tot_bytes}")
    if "cache" in doc["modes"] and "recompute" in doc["modes"]:
        a = [s["token_id"] for s in doc["modes"]["cache"]["steps"]]
        b = [s["token_id"] for s in doc["modes"]["recompute"]["steps"]]
        if a != b:
            errors.append(f"tokens differ: {a} vs {b}")
    if "cache" in doc["modes"]:
        check_batch(doc, errors)
    elif "batch" in doc:
        errors.append("a batch without cache mode")
    if doc["equivalent"] is not True or doc["max_abs_logit_diff"] != 0.0:
        errors.append(f"equivalent={doc['equivalent']} max_abs_logit_diff={doc['max_abs_logit_diff']}")
    if len(doc["prompt"]) != L:
        errors.append(f"prompt {doc['prompt']!r} has {len(doc['prompt'])} characters, prompt_len {L}")
    for e in errors[:10]:
        print("MISMATCH:", e)
    print(f"trace check: {checked} steps checked against the closed forms, {len(errors)} mismatches")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
