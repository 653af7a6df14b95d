#!/usr/bin/env python3
"""trace_check.py: read `kvsim trace --format json` on stdin and check every
number against the closed forms of spec §4 / §6.1 - §6.5, written out here
again in Python: MACs, cache bytes, paged blocks (§6.4), memory traffic
(§6.5), rotary positions (§6.10: the `rope` MACs, no position rows read),
prefix sharing (§6.8, through prefix_check.py), the batch's block pool (every block owned once, the pool's
totals), and chunked prefill (§6.7) and speculative decoding (§6.9): each
cache step's rows, the drafts by prompt lookup, the accepted prefix, the
rows rolled back. Exit 0 when everything matches, 1 otherwise."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prefix_check  # noqa: E402  (its sibling: spec 6.8)

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
    # the embedding rows used: token and position, or the token's alone
    # under rotary positions (spec 6.10: no position table)
    emb = (1 if cfg.get("rope") else 2) * n * d * F32
    weights = Lyr * (d * d + 2 * d * kv + d * d + 2 * d * F) * F32 + d * V * F32 + emb
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
    if cfg.get("rope"):   # spec 6.10: two MACs per rotated element of q and k
        macs["rope"] = 2 * n * (d + kv) * Lyr
    macs["total"] = sum(macs.values())
    held = min(t, W) if W else t
    kvb = 2 * Lyr * held * kv * 4 if mode == "cache" else 0
    blocks, reserved = paged(cfg, t) if mode == "cache" else (0, 0)
    return n, t, macs, d * Lyr * discarded, kvb, (blocks, reserved) + traffic(cfg, mode, n, t, first)


def mac_keys(cfg):
    """The MAC categories of a step; `rope` only with rotary positions."""
    rope = ("rope",) if cfg.get("rope") else ()
    return ("qkv", "scores", "values", "out_proj", "ffn", "lm_head") + rope + ("total",)


def intensity(macs, wbytes, kvbytes):
    return 2 * macs / (wbytes + kvbytes) if wbytes + kvbytes else 0


def got_traffic(s):
    return (s["kv_blocks"], s["kv_reserved_bytes"], s["weight_bytes_read"], s["kv_bytes_read"],
            s["kv_bytes_written"])


def lookup(seq, T, max_k):
    """Spec 6.9's prompt lookup over seq[0:T] (one token = one character):
    the latest earlier occurrence of the suffix of length 3, else 2, else 1
    proposes what followed it, at most max_k tokens."""
    for n in (3, 2, 1):
        if n >= T:
            continue
        suffix = seq[T - n:T]
        for i in range(T - n - 1, -1, -1):
            if seq[i:i + n] == suffix:
                return seq[i + n:min(T, i + n + max_k)]
    return []


def serving_geometry(doc, steps, errors):
    """Spec 6.7 / 6.9: each cache step's (p0, n, head rows, kept) from the
    spec, checking the drafts by prompt lookup on the way; and the ids the
    run emitted."""
    cfg, L, G = doc["config"], doc["prompt_len"], doc["gen"]
    C, K = cfg.get("chunk", 0), cfg.get("speculate", 0)
    sh = steps[0].get("shared_rows", 0) if steps else 0   # 6.8: the prefill starts after them
    chunks = -(-(L - sh) // C) if C else 1
    size = C if C else L - sh
    seq = list(doc["prompt"])
    ids, out = [], []
    for s, st in enumerate(steps):
        if s < chunks:
            p0 = sh + s * size
            n, head, drafted, a = min(size, L - p0), (1 if s == chunks - 1 else 0), 0, 0
            text = st["token"] if head else ""
            new = [st["token_id"]] if head else []
            if not head and (st["token"] != "" or st["token_id"] != -1):
                errors.append(f"cache step {s}: an early chunk emits {st['token']!r}")
        else:
            T = L + len(ids)
            p0 = T - 1
            drafts = lookup(seq, T, min(K, L + G - T - 1)) if K else []
            drafted = len(drafts)
            text = st.get("emitted_text", st["token"])
            new = st.get("emitted", [st["token_id"]])
            a = st.get("accepted", 0)
            if K and (st["drafted"] != drafted or not 0 <= a <= drafted or len(new) != a + 1 or
                      len(text) != a + 1 or list(text[:a]) != drafts[:a] or
                      (a < drafted and text[a] == drafts[a])):
                errors.append(f"cache step {s}: drafted {st.get('drafted')} accepted {a} emitted {text!r}, "
                              f"lookup drafts {''.join(drafts)!r}")
            n = 1 + drafted
            head = n
        kept = p0 + 1 + a if drafted else p0 + n
        if new and new[-1] != st["token_id"]:
            errors.append(f"cache step {s}: token_id {st['token_id']} is not the last emitted {new}")
        seq += list(text)
        ids += new
        out.append((p0, n, head, kept))
    if len(ids) != G:
        errors.append(f"cache run emitted {len(ids)} tokens, gen {G}")
    return out, ids


def expected_block(cfg, p0, n, head, kept):
    """A cache step over rows p0 .. p0+n-1 (spec 4 with n and t free): keys
    from the first one the ring still holds, head rows to the head, the
    cache keeping `kept` rows after it."""
    d, F, V, Lyr, kv = cfg["d_model"], cfg["d_ff"], cfg["vocab"], cfg["n_layers"], kv_dim(cfg)
    W = cfg.get("window", 0)
    t = p0 + n
    first = max(0, p0 - W + 1) if W else 0
    discarded = sum(1 for q in range(p0, t) for j in range(first, t) if j > q or (W and j <= q - W))
    cells = n * (t - first)
    macs = {"qkv": (n * d * d + 2 * n * d * kv) * Lyr, "scores": cells * d * Lyr, "values": cells * d * Lyr,
            "out_proj": n * d * d * Lyr, "ffn": 2 * n * d * F * Lyr, "lm_head": head * d * V}
    if cfg.get("rope"):
        macs["rope"] = 2 * n * (d + kv) * Lyr
    macs["total"] = sum(macs.values())
    kvb = 2 * Lyr * (min(kept, W) if W else kept) * kv * F32
    emb = (1 if cfg.get("rope") else 2) * n * d * F32
    weights = Lyr * (d * d + 2 * d * kv + d * d + 2 * d * F) * F32 + (d * V * F32 if head else 0) + emb
    mem = paged(cfg, kept) + (weights, Lyr * (t - first) * kv * F32 * 2,
                              Lyr * (min(n, W) if W else n) * kv * F32 * 2)
    return t, macs, d * Lyr * discarded, kvb, mem


def check_serving(doc, errors):
    """The cache run of --chunk / --speculate, step by step; returns the
    steps checked and the per-step (t, kept) for the batch check."""
    cfg, G = doc["config"], doc["gen"]
    run = doc["modes"]["cache"]
    geo, ids = serving_geometry(doc, run["steps"], errors)
    tot = {key: 0 for key in mac_keys(cfg)}
    tot_masked, tot_bytes = 0, [0, 0, 0]
    chunks = -(-doc["prompt_len"] // cfg["chunk"]) if cfg.get("chunk") else 1
    for s, (st, (p0, n, head, kept)) in enumerate(zip(run["steps"], geo)):
        t, macs, masked, kvb, mem = expected_block(cfg, p0, n, head, kept)
        phase = "prefill" if s < chunks else "decode"
        got = (st["step"], st["n"], st["t"], st["macs"], st["masked_macs"], st["kv_cache_bytes"], st["phase"])
        if got != (s, n, t, macs, masked, kvb, phase):
            errors.append(f"cache step {s}: got {got}, want {(s, n, t, macs, masked, kvb, phase)}")
        if got_traffic(st) != mem or st["arithmetic_intensity"] != intensity(macs["total"], mem[2], mem[3]):
            errors.append(f"cache step {s}: blocks/traffic {got_traffic(st)}, want {mem}")
        for key in tot:
            tot[key] += macs[key]
        tot_masked += masked
        tot_bytes = [a + b for a, b in zip(tot_bytes, mem[2:])]
    tt = run["totals"]
    if tt["macs"] != tot or tt["masked_macs"] != tot_masked or \
            [tt["weight_bytes_read"], tt["kv_bytes_read"], tt["kv_bytes_written"]] != tot_bytes:
        errors.append(f"cache totals: got {tt}, want {tot} masked {tot_masked} bytes {tot_bytes}")
    if "recompute" in doc["modes"]:
        b = [s["token_id"] for s in doc["modes"]["recompute"]["steps"]]
        if ids != b:
            errors.append(f"tokens differ: {ids} vs {b}")
    for key, on in (("chunking", cfg.get("chunk")), ("speculation", cfg.get("speculate"))):
        if not on:
            continue
        sv = doc.get(key)
        want = {"steps": len(run["steps"]), "plain_steps": G, "macs": tot["total"], "same_as_plain": True}
        if key == "speculation":
            d = sum(s["drafted"] for s in run["steps"])
            a = sum(s["accepted"] for s in run["steps"])
            want.update(drafted=d, accepted=a, acceptance_rate=a / d if d else 0, k=cfg["speculate"])
        else:
            want.update(prefill_steps=chunks, chunk=cfg["chunk"])
        if sv is None or any(sv.get(x) != y for x, y in want.items()):
            errors.append(f"{key}: got {sv}, want {want}")
    return len(geo), [[(p0 + n, kept) for (p0, n, _, kept) in geo]]


def check_batch_serving(doc, q, errors):
    """Sequence q >= 1 of a batch with --chunk / --speculate: its own steps
    (spec 6.7 / 6.9 for its prompt) against the closed forms; returns its
    per-step (t, kept)."""
    cfg, sq = doc["config"], doc["batch"][q]
    one = dict(doc, prompt=sq["prompt"], prompt_len=sq["prompt_len"])
    geo, _ = serving_geometry(one, sq["steps"], errors)
    sh = sq["steps"][0].get("shared_rows", 0)
    chunks = -(-(sq["prompt_len"] - sh) // cfg["chunk"]) if cfg.get("chunk") else 1
    for k, (st, (p0, n, head, kept)) in enumerate(zip(sq["steps"], geo)):
        t, macs, masked, kvb, mem = expected_block(cfg, p0, n, head, kept)
        got = (st["phase"], st["n"], st["macs"], st["masked_macs"])
        want = ("prefill" if k < chunks else "decode", n, macs, masked)
        if got != want:
            errors.append(f"batch[{q}] step {k}: got {got}, want {want}")
    if sq.get("same_as_plain") is not True:
        errors.append(f"batch[{q}]: same_as_plain {sq.get('same_as_plain')}")
    return [(p0 + n, kept) for (p0, n, _, kept) in geo]


def check_batch(doc, errors, geo=None):
    """The batch: each sequence's steps against the closed forms, and the
    shared pool replayed from the blocks each step took and gave back.
    geo: per sequence, per step (t, kept) (--chunk / --speculate); else
    step k of a sequence of L holds t = L + k."""
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
    if geo is None:
        geo = [[(sq["prompt_len"] + k, sq["prompt_len"] + k) for k in range(G)] for sq in batch]
    elif len(batch) > 1:
        geo = [geo[0]] + [check_batch_serving(doc, q, errors) for q in range(1, len(batch))]
    # the step lockstep (sim/run.h): batch step k is step k of every
    # sequence that has one; a finished sequence keeps what it holds
    n_steps = max(len(g) for g in geo)
    if pool is not None and len(pool["steps"]) != n_steps:
        errors.append(f"pool: {len(pool['steps'])} steps, the longest sequence has {n_steps}")
        return
    if (pool is None) != (B == 0):
        errors.append(f"pool {pool!r} with block_size {B}")
    # with --prefix-cache a block has several holders: prefix_check.py replays
    # that pool; here each sequence's own numbers only
    replay = not cfg.get("prefix_cache")
    owner = {}                          # physical block -> sequence, replayed
    owned = [set() for _ in batch]
    cap = W if (W and W < N) else N     # a contiguous reservation per sequence
    for k in range(n_steps):
        for q, sq in enumerate(batch):
            L = sq["prompt_len"]
            if len(sq["prompt"]) != L or len(sq["steps"]) != len(geo[q]):
                errors.append(f"batch[{q}]: prompt_len {L}, {len(sq['steps'])} steps")
                return
            if k >= len(geo[q]):
                continue
            st = sq["steps"][k]
            t, kept = geo[q][k]
            blocks, reserved = paged(cfg, kept)
            want = (k, t, blocks, reserved, 2 * Lyr * (min(kept, W) if W else kept) * kv * F32)
            got = (st["step"], st["t"], st["kv_blocks"], st["kv_reserved_bytes"], st["kv_cache_bytes"])
            if got != want:
                errors.append(f"batch[{q}] step {k}: got {got}, want {want}")
            for b in st["freed_blocks"]:
                if owner.get(b) != q and replay:
                    errors.append(f"batch[{q}] step {k}: frees block {b} owned by {owner.get(b)}")
                owner.pop(b, None)
                owned[q].discard(b)
            for b in st["new_blocks"]:
                if (b in owner and replay) or not (pool and 0 <= b < pool["n_blocks"]):
                    errors.append(f"batch[{q}] step {k}: takes block {b} (owner {owner.get(b)})")
                owner[b] = q
                owned[q].add(b)
            if len(owned[q]) != blocks and replay:
                errors.append(f"batch[{q}] step {k}: owns {len(owned[q])} blocks, kv_blocks {blocks}")
        if pool:
            # contiguous caches share nothing: their waste is what they reserve
            # minus every sequence's own kept rows, shared prefix or not
            ps = pool["steps"][k]
            kept = [geo[q][min(k, len(geo[q]) - 1)][1] for q in range(len(batch))]
            own = sum(2 * Lyr * (min(kq, W) if W else kq) * kv * F32 for kq in kept)
            if ps["contiguous_waste_bytes"] != ps["contiguous_reserved_bytes"] - own:
                errors.append(f"pool step {k}: contiguous waste {ps['contiguous_waste_bytes']}, want "
                              f"{ps['contiguous_reserved_bytes']} - {own}")
        if pool and replay:
            ps = pool["steps"][k]
            kept = [geo[q][min(k, len(geo[q]) - 1)][1] for q in range(len(batch))]
            used = sum(2 * Lyr * (min(kq, W) if W else kq) * kv * F32 for kq in kept)
            n_used = sum(paged(cfg, kq)[0] for kq in kept)
            contiguous = len(batch) * cap * bpp
            want = (k, n_used, pool["n_blocks"] - n_used, n_used * B * bpp, used, n_used * B * bpp - used,
                    contiguous, contiguous - used)
            got = tuple(ps[key] for key in ("step", "blocks_used", "blocks_free", "kv_reserved_bytes",
                                            "kv_cache_bytes", "waste_bytes", "contiguous_reserved_bytes",
                                            "contiguous_waste_bytes"))
            if got != want or len(owner) != n_used:
                errors.append(f"pool step {k}: got {got}, want {want}, replayed {len(owner)} owned")
    if pool and replay:
        if pool["n_blocks"] != len(batch) * -(-N // B) or pool["bytes_per_block"] != B * bpp:
            errors.append(f"pool size {pool['n_blocks']} blocks of {pool['bytes_per_block']} bytes")
        for q, sq in enumerate(batch):
            t = geo[q][-1][1]               # kept after the last step
            table = sq["block_table"]
            gone = (t - W if (W and t > W) else 0) // B
            if (len(table) != -(-t // B) or table[:gone] != [-1] * gone or
                    set(b for b in table if b >= 0) != owned[q] or -1 in table[gone:]):
                errors.append(f"batch[{q}] block_table {table}, replayed {sorted(owned[q])}")


def check(doc):
    """Every mismatch of a trace against the closed forms, and how many
    steps were checked."""
    cfg, L, G = doc["config"], doc["prompt_len"], doc["gen"]
    errors = []
    checked = 0
    want_phase = {"cache": lambda k: "prefill" if k == 0 else "decode",
                  "recompute": lambda k: "recompute", "train": lambda k: "train"}
    runs = dict(doc["modes"])
    if "train" in doc:
        runs["train"] = doc["train"]
    serving = bool(cfg.get("chunk") or cfg.get("speculate"))
    geo = None
    for mode, run in runs.items():
        if mode == "cache" and serving:
            n, geo = check_serving(doc, errors)
            checked += n
            continue
        steps = run["steps"]
        if len(steps) != (1 if mode == "train" else G):
            errors.append(f"{mode}: {len(steps)} steps")
        tot = {key: 0 for key in mac_keys(cfg)}
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
    if "cache" in doc["modes"] and "recompute" in doc["modes"] and not serving:
        a = [s["token_id"] for s in doc["modes"]["cache"]["steps"]]
        b = [s["token_id"] for s in doc["modes"]["recompute"]["steps"]]
        if a != b:
            errors.append(f"tokens differ: {a} vs {b}")
    if "cache" in doc["modes"]:
        check_batch(doc, errors, geo)
        if cfg.get("prefix_cache") and "batch" in doc:
            # spec 6.8: the shared rows, the shortened prefills and the pool
            # with its reference counts, replayed by prefix_check.py
            errors += prefix_check.check(doc)[0]
    elif "batch" in doc:
        errors.append("a batch without cache mode")
    if doc["equivalent"] is not True or doc["max_abs_logit_diff"] != 0.0:
        errors.append(f"equivalent={doc['equivalent']} max_abs_logit_diff={doc['max_abs_logit_diff']}")
    if len(doc["prompt"]) != L:
        errors.append(f"prompt {doc['prompt']!r} has {len(doc['prompt'])} characters, prompt_len {L}")
    return errors, checked


def main():
    errors, checked = check(json.load(sys.stdin))
    for e in errors[:10]:
        print("MISMATCH:", e)
    print(f"trace check: {checked} steps checked against the closed forms, {len(errors)} mismatches")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
