#!/usr/bin/env python3
"""trace_check.py: read `kvsim trace --format json` on stdin and check every
number against the closed forms of spec §4 / §6.1, written out here again in
Python. Exit 0 when everything matches, 1 otherwise."""
import json
import sys


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
    return n, t, macs, d * Lyr * discarded, (2 * Lyr * held * kv * 4 if mode == "cache" else 0)


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
        for s in steps:
            k = s["step"]
            n, t, macs, masked, kvb = expected(cfg, mode, L, k)
            got = (s["n"], s["t"], s["macs"], s["masked_macs"], s["kv_cache_bytes"], s["phase"])
            if got != (n, t, macs, masked, kvb, want_phase[mode](k)):
                errors.append(f"{mode} step {k}: got {got}, want {(n, t, macs, masked, kvb)}")
            if not (0 <= s["token_id"] < cfg["vocab"]) or len(s["token"]) != 1:
                errors.append(f"{mode} step {k}: token {s['token']!r} id {s['token_id']}")
            for key in tot:
                tot[key] += macs[key]
            tot_masked += masked
            checked += 1
        if run["totals"]["macs"] != tot or run["totals"]["masked_macs"] != tot_masked:
            errors.append(f"{mode} totals: got {run['totals']}, want {tot} masked {tot_masked}")
    if "cache" in doc["modes"] and "recompute" in doc["modes"]:
        a = [s["token_id"] for s in doc["modes"]["cache"]["steps"]]
        b = [s["token_id"] for s in doc["modes"]["recompute"]["steps"]]
        if a != b:
            errors.append(f"tokens differ: {a} vs {b}")
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
