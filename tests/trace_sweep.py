#!/usr/bin/env python3
"""trace_sweep.py KVSIM [N] [SEED]: N configurations drawn at random (a
fixed seed, so every run draws the same ones) from the options that
combine — GQA/MQA, a window, paged blocks, a batch of prompts with common
prefixes, --prefix-cache, --chunk, --speculate, --rope — each run through
`KVSIM trace --format json` and checked by trace_check.py (which hands
prefix sharing to prefix_check.py). The prompts are drawn from few
letters, so prefixes repeat and prompt lookup finds drafts. Prints one
line per failing configuration and a summary of what the draws covered;
exit 1 on any mismatch, or when a technique was never exercised."""
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trace_check  # noqa: E402


def draw(rng):
    trained = rng.random() < 0.2   # the shipped model (no shape option), else a seeded random one
    heads = 2 if trained else rng.choice([1, 2, 4])
    dh = 16 if trained else rng.choice([2, 4])
    args = [] if trained else ["--d-model", str(heads * dh), "--heads", str(heads),
                               "--layers", str(rng.choice([1, 2])), "--seed", str(rng.randrange(1, 100))]
    if not trained:
        args += ["--kv-heads", str(rng.choice([h for h in (1, 2, 4) if heads % h == 0]))]
    stem = "".join(rng.choice("ab") for _ in range(rng.randrange(0, 9)))
    prompts = [stem + "".join(rng.choice("abc") for _ in range(rng.randrange(1, 7)))
               for _ in range(rng.choice([1, 1, 2, 3]))]
    gen = rng.randrange(1, 9)
    for p in prompts:
        args += ["--prompt", p]
    args += ["--gen", str(gen), "--max-seq", str(max(len(p) for p in prompts) + gen + rng.randrange(0, 4))]
    B = rng.choice([0, 1, 2, 3, 4])
    if B:
        args += ["--block-size", str(B)]
        if len(prompts) > 1 and rng.random() < 0.7:
            args += ["--prefix-cache"]
    if rng.random() < 0.4:
        args += ["--window", str(rng.randrange(1, 9))]
    if rng.random() < 0.4:
        args += ["--chunk", str(rng.randrange(1, 6))]
    if rng.random() < 0.4:
        args += ["--speculate", str(rng.randrange(1, 5))]
    if not trained and rng.random() < 0.3 and dh % 2 == 0:
        args += ["--rope"]   # (the shipped model learned its positions)
    return args


def main():
    kvsim = sys.argv[1] if len(sys.argv) > 1 else "build/kvsim"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 150
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 2026)
    seen = {"batch": 0, "sharing": 0, "chunk": 0, "speculate": 0, "window": 0, "rope": 0, "drafts accepted": 0,
            "trained model": 0, "batch+chunk": 0, "batch+speculate": 0, "sharing+chunk": 0, "sharing+window": 0,
            "sharing+speculate": 0}
    bad = 0
    for _ in range(n):
        args = draw(rng)
        run = subprocess.run([kvsim, "trace", "--format", "json"] + args, capture_output=True, text=True)
        if run.returncode != 0:
            bad += 1
            print(f"FAIL: kvsim trace {' '.join(args)}: exit {run.returncode}: {run.stderr.strip()[:200]}")
            continue
        doc = json.loads(run.stdout)
        errors, _ = trace_check.check(doc)
        if errors:
            bad += 1
            print(f"FAIL: kvsim trace {' '.join(args)}: {errors[0]}")
        cfg = doc["config"]
        seen["batch"] += len(doc.get("batch", [])) > 1
        seen["sharing"] += any(sq["steps"][0].get("shared_rows", 0) for sq in doc.get("batch", []))
        for key in ("chunk", "speculate", "window", "rope"):
            seen[key] += bool(cfg.get(key))
        steps = doc["modes"]["cache"]["steps"]
        seen["drafts accepted"] += any(st.get("accepted", 0) > 0 for st in steps)
        seen["trained model"] += "--d-model" not in args
        batch = len(doc.get("batch", [])) > 1
        sharing = any(sq["steps"][0].get("shared_rows", 0) for sq in doc.get("batch", []))
        for key, on in (("batch+chunk", batch and cfg.get("chunk")), ("batch+speculate", batch and cfg.get("speculate")),
                        ("sharing+chunk", sharing and cfg.get("chunk")), ("sharing+window", sharing and cfg.get("window")),
                        ("sharing+speculate", sharing and cfg.get("speculate"))):
            seen[key] += bool(on)
    print("covered: " + ", ".join(f"{k} {v}" for k, v in seen.items()))
    never = [k for k, v in seen.items() if v == 0]
    if never:
        print("FAIL: never drawn: " + ", ".join(never))
    print(f"trace sweep: {n - bad} passed, {bad + len(never)} failed")
    return 1 if bad or never else 0


if __name__ == "__main__":
    sys.exit(main())
