#!/usr/bin/python3
"""train_torch.py: kvsim's training model in PyTorch, to check and time
`kvsim train` (docs/training.md §6, docs/performance.md). A benchmark and
diagnosis aid only: nothing in kvsim depends on it.

Needs Debian's PyTorch for the system python: `apt-get install
python3-torch`, then run it with /usr/bin/python3 (not a pyenv python).

  replay DIR [--steps N] [--double]
      DIR was written by `kvsim train --dump-batches DIR ...` (a hidden
      option): init.kvsim (the initial weights), batches.bin (every step's
      (B, T) int32 inputs then targets), losses.txt (step, loss, gradient
      norm, lr), grad0.kvsim (the first gradient), step1.kvsim (the weights
      after one step). Trains the same architecture from the same weights on
      the same batches with the same AdamW and prints, per step, both
      losses and their relative difference; before that, the first
      gradient and the first update tensor by tensor.
  bench [--d-model 32 --heads 2 --layers 2 --max-seq 64 --vocab 227
         --batch 32 --steps 30 --threads 1]
      Time of one training step (forward, backward, AdamW) on random
      tokens, after 5 warm-up steps.

The model is spec §1: pre-LN GPT-2 layout, no biases in the projections,
learned positions, tanh GELU, LayerNorm eps 1e-5, 1/sqrt(d_h) scale, the
head tied to the token embedding (wout = tok_emb^T) as `kvsim train`'s
default.
"""
import argparse
import math
import struct
import sys
import time

import torch

TENSORS = ["tok_emb", "pos_emb", "ln1_g", "ln1_b", "wq", "wk", "wv", "wo",
           "ln2_g", "ln2_b", "w1", "w2", "lnf_g", "lnf_b", "wout"]
NO_DECAY = {"ln1_g", "ln1_b", "ln2_g", "ln2_b", "lnf_g", "lnf_b"}


def shapes(c):
    V, d, L, F, N = c["vocab"], c["d_model"], c["n_layers"], c["d_ff"], c["max_seq"]
    kv = c["n_kv_heads"] * d // c["n_heads"]
    return {"tok_emb": (V, d), "pos_emb": (N, d), "ln1_g": (L, d), "ln1_b": (L, d),
            "wq": (L, d, d), "wk": (L, d, kv), "wv": (L, d, kv), "wo": (L, d, d),
            "ln2_g": (L, d), "ln2_b": (L, d), "w1": (L, d, F), "w2": (L, F, d),
            "lnf_g": (d,), "lnf_b": (d,), "wout": (d, V)}


def read_model(path):
    """A .kvsim file (docs/model-format.md): (config, alphabet, tensors)."""
    b = open(path, "rb").read()
    if b[:8] != b"KVSIMMDL":
        sys.exit(f"{path}: not a kvsim model file")
    (version, flags, V, d, H, Hkv, L, F, N, W) = struct.unpack_from("<10I", b, 8)
    seed, = struct.unpack_from("<Q", b, 48)
    A, = struct.unpack_from("<I", b, 56)
    c = dict(vocab=V, d_model=d, n_heads=H, n_kv_heads=Hkv, n_layers=L, d_ff=F,
             max_seq=N, window=W, seed=seed)
    alphabet = b[60:60 + A].decode("utf-8")
    off = 60 + A
    t = {}
    for name in TENSORS:
        shp = shapes(c)[name]
        n = math.prod(shp)
        t[name] = torch.frombuffer(bytearray(b[off:off + 4 * n]), dtype=torch.float32).reshape(shp)
        off += 4 * n
    return c, alphabet, t


class Model(torch.nn.Module):
    def __init__(self, c, w, dtype=torch.float32, tied=True):
        super().__init__()
        self.c, self.tied = c, tied
        self.p = torch.nn.ParameterDict(
            {k: torch.nn.Parameter(v.clone().to(dtype)) for k, v in w.items()
             if not (tied and k == "wout")})

    def forward(self, inp, tgt):
        c, p = self.c, self.p
        B, T = inp.shape
        H, d = c["n_heads"], c["d_model"]
        dh, Hkv = d // H, c["n_kv_heads"]
        x = p["tok_emb"][inp] + p["pos_emb"][:T]
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        if c["window"] > 0:
            mask &= ~torch.ones(T, T, dtype=torch.bool).tril(-c["window"])
        for l in range(c["n_layers"]):
            a = torch.nn.functional.layer_norm(x, (d,), p["ln1_g"][l], p["ln1_b"][l], 1e-5)
            q = (a @ p["wq"][l]).view(B, T, H, dh).transpose(1, 2)
            k = (a @ p["wk"][l]).view(B, T, Hkv, dh).transpose(1, 2)
            v = (a @ p["wv"][l]).view(B, T, Hkv, dh).transpose(1, 2)
            if Hkv != H:
                k = k.repeat_interleave(H // Hkv, dim=1)
                v = v.repeat_interleave(H // Hkv, dim=1)
            s = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(dh))
            s = s.masked_fill(~mask, float("-inf"))
            y = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, d)
            x = x + y @ p["wo"][l]
            b2 = torch.nn.functional.layer_norm(x, (d,), p["ln2_g"][l], p["ln2_b"][l], 1e-5)
            x = x + torch.nn.functional.gelu(b2 @ p["w1"][l], approximate="tanh") @ p["w2"][l]
        x = torch.nn.functional.layer_norm(x, (d,), p["lnf_g"], p["lnf_b"], 1e-5)
        wout = p["tok_emb"].t() if self.tied else p["wout"]
        logits = x @ wout
        return torch.nn.functional.cross_entropy(logits.view(B * T, -1), tgt.view(-1),
                                                 ignore_index=-1)


def adam_lr(lr, warmup, total, s, min_frac=0.1):
    """kvsim's schedule (sim/train.c adam_lr)."""
    if s < warmup:
        return lr * (s + 1) / warmup
    span = total - warmup
    f = min((s - warmup) / span, 1.0) if span > 0 else 1.0
    return lr * (min_frac + (1 - min_frac) * 0.5 * (1 + math.cos(math.pi * f)))


def make_optim(model):
    decay = [v for k, v in model.p.items() if k not in NO_DECAY]
    keep = [v for k, v in model.p.items() if k in NO_DECAY]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                              {"params": keep, "weight_decay": 0.0}],
                             lr=1e-3, betas=(0.9, 0.99), eps=1e-8)


def clip(model, max_norm=1.0):
    """kvsim's clipping: scale = max_norm / norm when norm > max_norm."""
    norm = torch.sqrt(sum((q.grad.double() ** 2).sum() for q in model.p.values()))
    if norm > max_norm:
        for q in model.p.values():
            q.grad.mul_(float(max_norm / norm))
    return float(norm)


def rel(a, b):
    a, b = a.double(), b.double()
    return float((a - b).abs().max() / max(b.abs().max(), 1e-30))


def replay(args):
    torch.set_num_threads(args.threads)
    dtype = torch.float64 if args.double else torch.float32
    c, alphabet, w = read_model(f"{args.dir}/init.kvsim")
    rows = [line.split() for line in open(f"{args.dir}/losses.txt")]
    c_loss = [float(r[1]) for r in rows]
    c_norm = [float(r[2]) for r in rows]
    c_lr = [float(r[3]) for r in rows]
    raw = open(f"{args.dir}/batches.bin", "rb").read()
    # the batch size is the file's size over the steps
    per = len(raw) // len(rows) // 4
    T = c["max_seq"]
    B = per // (2 * T)
    data = torch.frombuffer(bytearray(raw), dtype=torch.int32).view(len(rows), 2, B, T).long()
    tied = torch.equal(w["wout"], w["tok_emb"].t().contiguous())
    print(f"config {c}, V {len(alphabet)}, batch {B} x {T}, {len(rows)} steps recorded, "
          f"{'tied' if tied else 'untied'} head, {dtype}")
    model = Model(c, w, dtype, tied)
    opt = make_optim(model)
    n = min(args.steps, len(rows))
    worst = 0.0
    for s in range(n):
        inp, tgt = data[s, 0], data[s, 1]
        for g in opt.param_groups:
            g["lr"] = c_lr[s]
        opt.zero_grad()
        loss = model(inp, tgt)
        loss.backward()
        if s == 0:
            _, _, g0 = read_model(f"{args.dir}/grad0.kvsim")
            print("step 0 gradient, max |torch - kvsim| / max |kvsim| per tensor:")
            for k in TENSORS:
                if k in model.p:
                    print(f"  {k:8s} {rel(model.p[k].grad, g0[k]):.2e}")
        norm = clip(model)
        opt.step()
        if s == 0:
            _, _, w1 = read_model(f"{args.dir}/step1.kvsim")
            print("weights after step 1, max |torch - kvsim| / max |kvsim - initial| per tensor:")
            for k in TENSORS:
                if k in model.p:
                    upd = (w1[k] - w[k]).double().abs().max()
                    diff = (model.p[k].detach().double() - w1[k].double()).abs().max()
                    print(f"  {k:8s} {float(diff / max(upd, 1e-30)):.2e}")
        r = abs(float(loss) - c_loss[s]) / c_loss[s]
        worst = max(worst, r)
        if s < 10 or s % args.every == 0 or s == n - 1:
            print(f"step {s:5d}  kvsim {c_loss[s]:.6f}  torch {float(loss):.6f}  rel {r:.1e}  "
                  f"grad norm {c_norm[s]:.5f} / {norm:.5f}")
    print(f"largest relative loss difference over {n} steps: {worst:.2e}")


def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    d, H, L, N, V = args.d_model, args.heads, args.layers, args.max_seq, args.vocab
    c = dict(vocab=V, d_model=d, n_heads=H, n_kv_heads=H, n_layers=L, d_ff=4 * d,
             max_seq=N, window=0, seed=1)
    w = {k: 0.02 * torch.randn(shp) for k, shp in shapes(c).items()}
    for k in NO_DECAY:
        w[k] = torch.ones_like(w[k]) if k.endswith("_g") else torch.zeros_like(w[k])
    w["wout"] = w["tok_emb"].t().contiguous()
    model = Model(c, w)
    opt = make_optim(model)
    B, T = args.batch, N
    inp = torch.randint(0, V, (args.steps + 5, B, T))
    times = []
    for s in range(args.steps + 5):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = model(inp[s], inp[s])
        loss.backward()
        clip(model)
        opt.step()
        if s >= 5:
            times.append(time.perf_counter() - t0)
    times.sort()
    med = times[len(times) // 2]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s): d {d} H {H} L {L} "
          f"N {N} V {V}, batch {B} x {T}: median step {1e3 * med:.2f} ms "
          f"(min {1e3 * times[0]:.2f}), {B * T / med:.0f} tokens/s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("replay")
    r.add_argument("dir")
    r.add_argument("--steps", type=int, default=50)
    r.add_argument("--every", type=int, default=10)
    r.add_argument("--double", action="store_true", help="float64 (tells rounding from bugs)")
    r.add_argument("--threads", type=int, default=1)
    b = sub.add_parser("bench")
    b.add_argument("--d-model", type=int, default=32)
    b.add_argument("--heads", type=int, default=2)
    b.add_argument("--layers", type=int, default=2)
    b.add_argument("--max-seq", type=int, default=64)
    b.add_argument("--vocab", type=int, default=227)
    b.add_argument("--batch", type=int, default=32)
    b.add_argument("--steps", type=int, default=30)
    b.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    replay(args) if args.cmd == "replay" else bench(args)


if __name__ == "__main__":
    main()
