#!/usr/bin/env python3
"""export_check: recompute a `kvsim export` run independently and compare.

    build/kvsim export [OPTIONS] | python3 tests/export_check.py
    python3 tests/export_check.py run.json [--abs-tol 1e-4] [--rel-tol 1e-4]

Only the weights, the prompt and the alphabet are taken from the export.
Everything else is recomputed here in float64 from the formulas of the spec
(/work/shared/spec/model-and-counts.md §1, §2, §4): embedding + position,
pre-LayerNorm blocks, per-head scaled scores over the dense n×t block, the
causal mask, softmax, A·V, Wo + residual, LN2, GELU (tanh form), W1/W2 +
residual, final LayerNorm, logits, greedy argmax (ties to the lowest id),
and the KV cache: a decode row attends to the K/V rows this script cached
in earlier steps. Each step's logits are also checked against a full
forward pass over the whole sequence without any cache (the spec's
cache == recompute rule).

Every exported intermediate is compared with |got − want| <= abs + rel·|want|
(kvsim computes in float32). The counters are compared exactly with the
spec's closed forms. Output: the first mismatches with their path, e.g.
steps[2].layers[1].att[0][0][5], then one summary line

    export check: 1234 values compared, max abs diff 3.1e-07, 0 mismatches

Exit status: 0 when everything matches, 1 otherwise.

Python standard library only (no numpy).
"""

import argparse
import json
import math
import sys

FORMAT = "kvsim-export-1"
SHOW_MISMATCHES = 10


class Mismatch(Exception):
    """A structural problem that makes further checking of a part pointless."""


class Checker:
    def __init__(self, abs_tol, rel_tol):
        self.abs_tol = abs_tol
        self.rel_tol = rel_tol
        self.compared = 0
        self.max_abs = 0.0
        self.mismatches = []

    def fail(self, path, msg):
        self.mismatches.append("%s: %s" % (path, msg))

    # -- values --------------------------------------------------------------

    def num(self, path, got, want):
        """One float; want None means the export must hold null (masked)."""
        self.compared += 1
        if want is None:
            if got is not None:
                self.fail(path, "expected null (masked), got %r" % (got,))
            return
        if got is None or isinstance(got, bool) or not isinstance(got, (int, float)):
            self.fail(path, "expected a number near %.9g, got %r" % (want, got))
            return
        diff = abs(float(got) - want)
        if diff > self.max_abs:
            self.max_abs = diff
        if not diff <= self.abs_tol + self.rel_tol * abs(want):
            self.fail(path, "got %.9g, want %.9g (diff %.3g)" % (got, want, diff))

    def arr(self, path, got, want):
        """Nested lists of floats (want leaves may be None = null)."""
        if isinstance(want, list):
            if not isinstance(got, list):
                self.fail(path, "expected a list of %d, got %s" % (len(want), type(got).__name__))
                return
            if len(got) != len(want):
                self.fail(path, "expected %d entries, got %d" % (len(want), len(got)))
                return
            for i, (g, w) in enumerate(zip(got, want)):
                self.arr("%s[%d]" % (path, i), g, w)
        else:
            self.num(path, got, want)

    def exact(self, path, got, want):
        """Integers, strings, lists of them: must be equal."""
        self.compared += 1
        if isinstance(got, bool) != isinstance(want, bool) or got != want:
            self.fail(path, "got %r, want %r" % (got, want))
            return False
        return True


def get(obj, key, path):
    if not isinstance(obj, dict) or key not in obj:
        raise Mismatch("%s: missing key %r" % (path, key))
    return obj[key]


# -- float64 arithmetic ----------------------------------------------------------


def matmul_row(x, w_rows):
    """x (k) · W (k, m), W given as k rows of m floats."""
    out = [0.0] * len(w_rows[0])
    for a, row in zip(x, w_rows):
        out = [o + a * wj for o, wj in zip(out, row)]
    return out


def layernorm(x, g, b, eps):
    d = len(x)
    mean = sum(x) / d
    var = sum((v - mean) ** 2 for v in x) / d
    inv = 1.0 / math.sqrt(var + eps)
    return [(v - mean) * inv * gj + bj for v, gj, bj in zip(x, g, b)]


GELU_C = math.sqrt(2.0 / math.pi)


def gelu(v):
    return 0.5 * v * (1.0 + math.tanh(GELU_C * (v + 0.044715 * v * v * v)))


def softmax_masked(row):
    """row entries None are masked (−inf): weight 0."""
    vis = [v for v in row if v is not None]
    if not vis:
        return [0.0] * len(row)
    mx = max(vis)
    ex = [0.0 if v is None else math.exp(v - mx) for v in row]
    s = sum(ex)
    return [v / s for v in ex]


def argmax(v):
    best = 0
    for i in range(1, len(v)):
        if v[i] > v[best]:
            best = i
    return best


# -- the model ---------------------------------------------------------------------


class Model:
    """Weights as float64 row lists, shapes checked against the config."""

    def __init__(self, chk, cfg, weights):
        self.V = get(cfg, "vocab", "config")
        self.d = get(cfg, "d_model", "config")
        self.H = get(cfg, "n_heads", "config")
        self.Lyr = get(cfg, "n_layers", "config")
        self.F = get(cfg, "d_ff", "config")
        self.N = get(cfg, "max_seq", "config")
        if cfg.get("window", 0):
            raise Mismatch("config: window %d: this checker recomputes the plain causal model only"
                           % cfg["window"])
        self.Hkv = cfg.get("n_kv_heads", self.H)
        self.eps = float(cfg.get("ln_eps", 1e-5))
        if self.d % self.H or self.H % self.Hkv:
            raise Mismatch("config: d_model %d, n_heads %d, n_kv_heads %d do not divide"
                           % (self.d, self.H, self.Hkv))
        self.dh = self.d // self.H
        self.kvd = self.Hkv * self.dh
        chk.exact("config.d_head", cfg.get("d_head"), self.dh)
        chk.exact("config.gelu", cfg.get("gelu"), "tanh")
        if abs(self.eps - 1e-5) > 1e-9:
            chk.fail("config.ln_eps", "got %r, want 1e-5" % (self.eps,))
        d, F, V, N, kvd = self.d, self.F, self.V, self.N, self.kvd
        self.weights = weights

        def mat(name, rows, cols):
            w = get(weights, name, "weights")
            shape = get(w, "shape", "weights." + name)
            data = get(w, "data", "weights." + name)
            want_shape = [cols] if rows is None else [rows, cols]
            if shape != want_shape:
                raise Mismatch("weights.%s.shape: got %r, want %r" % (name, shape, want_shape))
            r = 1 if rows is None else rows
            if not isinstance(data, list) or len(data) != r * cols:
                raise Mismatch("weights.%s.data: expected %d values" % (name, r * cols))
            for i, v in enumerate(data):
                if v is None or isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise Mismatch("weights.%s.data[%d]: not a number: %r" % (name, i, v))
            data = [float(v) for v in data]
            if rows is None:
                return data
            return [data[i * cols:(i + 1) * cols] for i in range(rows)]

        self.tok_emb = mat("tok_emb", V, d)
        self.pos_emb = mat("pos_emb", N, d)
        self.layers = []
        for l in range(self.Lyr):
            p = "layers.%d." % l
            self.layers.append({
                "ln1_g": mat(p + "ln1_g", None, d), "ln1_b": mat(p + "ln1_b", None, d),
                "wq": mat(p + "wq", d, d), "wk": mat(p + "wk", d, kvd),
                "wv": mat(p + "wv", d, kvd), "wo": mat(p + "wo", d, d),
                "ln2_g": mat(p + "ln2_g", None, d), "ln2_b": mat(p + "ln2_b", None, d),
                "w1": mat(p + "w1", d, F), "w2": mat(p + "w2", F, d),
            })
        self.lnf_g = mat("lnf_g", None, d)
        self.lnf_b = mat("lnf_b", None, d)
        self.wout = mat("wout", d, V)

    def forward(self, tokens, p0, cache):
        """Process positions p0 .. len(tokens)-1 with cache[l] = (K rows, V rows)
        of positions 0 .. p0-1, which grows by the new rows. Returns the
        intermediates of the new rows (the names of the export)."""
        d, H, dh, F = self.d, self.H, self.dh, self.F
        t = len(tokens)
        n = t - p0
        group = self.H // self.Hkv
        scale = 1.0 / math.sqrt(dh)
        x = [[e + p for e, p in zip(self.tok_emb[tokens[p0 + i]], self.pos_emb[p0 + i])]
             for i in range(n)]
        out = {"embed": [list(r) for r in x], "layers": []}
        for l, w in enumerate(self.layers):
            rec = {}
            a = [layernorm(r, w["ln1_g"], w["ln1_b"], self.eps) for r in x]
            rec["ln1"] = a
            q = [matmul_row(r, w["wq"]) for r in a]
            k = [matmul_row(r, w["wk"]) for r in a]
            v = [matmul_row(r, w["wv"]) for r in a]
            rec["q"], rec["k"], rec["v"] = q, k, v
            K, Vc = cache[l]
            if len(K) != p0:
                raise Mismatch("internal: cache of layer %d holds %d rows, expected %d"
                               % (l, len(K), p0))
            K.extend(k)
            Vc.extend(v)
            scores, masked, att = [], [], []
            att_out = [[0.0] * d for _ in range(n)]
            for h in range(H):
                kh = h // group
                sh, mh, ah = [], [], []
                for i in range(n):
                    qi = q[i][h * dh:(h + 1) * dh]
                    row = [sum(qa * ka for qa, ka in zip(qi, K[j][kh * dh:(kh + 1) * dh])) * scale
                           for j in range(t)]
                    mrow = [None if j > p0 + i else row[j] for j in range(t)]
                    arow = softmax_masked(mrow)
                    for j in range(t):
                        if arow[j] != 0.0:
                            vj = Vc[j]
                            for c in range(dh):
                                att_out[i][h * dh + c] += arow[j] * vj[kh * dh + c]
                    sh.append(row)
                    mh.append(mrow)
                    ah.append(arow)
                scores.append(sh)
                masked.append(mh)
                att.append(ah)
            rec["scores"], rec["masked_scores"], rec["att"] = scores, masked, att
            rec["att_out"] = att_out
            x = [[xa + pa for xa, pa in zip(xr, matmul_row(o, w["wo"]))]
                 for xr, o in zip(x, att_out)]
            rec["x_after_attn"] = [list(r) for r in x]
            b = [layernorm(r, w["ln2_g"], w["ln2_b"], self.eps) for r in x]
            rec["ln2"] = b
            hid = [[gelu(u) for u in matmul_row(r, w["w1"])] for r in b]
            rec["ffn_hidden"] = hid
            x = [[xa + pa for xa, pa in zip(xr, matmul_row(hr, w["w2"]))]
                 for xr, hr in zip(x, hid)]
            rec["x_after_ffn"] = [list(r) for r in x]
            out["layers"].append(rec)
        out["final_ln"] = layernorm(x[-1], self.lnf_g, self.lnf_b, self.eps)
        out["logits"] = matmul_row(out["final_ln"], self.wout)
        return out

    def empty_cache(self):
        return [([], []) for _ in range(self.Lyr)]


LAYER_KEYS = ["ln1", "q", "k", "v", "scores", "masked_scores", "att", "att_out",
              "x_after_attn", "ln2", "ffn_hidden", "x_after_ffn"]
COUNT_KEYS = ["qkv", "scores", "values", "out_proj", "ffn", "lm_head"]


def expected_counts(m, n, t, p0):
    """Spec §4 closed forms for one step (per layer × Lyr, lm_head once)."""
    d, Lyr = m.d, m.Lyr
    c = {
        "qkv": Lyr * (n * d * d + 2 * n * d * m.kvd),
        "scores": Lyr * n * t * d,
        "values": Lyr * n * t * d,
        "out_proj": Lyr * n * d * d,
        "ffn": Lyr * 2 * n * d * m.F,
        "lm_head": d * m.V,
    }
    c["total"] = sum(c[k] for k in COUNT_KEYS)
    # cells right of the diagonal: query row i (position p0+i) discards t-1-(p0+i) keys
    discarded = sum(t - 1 - (p0 + i) for i in range(n))
    return c, Lyr * d * discarded, 2 * Lyr * t * m.kvd * 4


def check_alphabet(chk, alphabet, V):
    if not isinstance(alphabet, list) or len(alphabet) != V:
        raise Mismatch("alphabet: expected a list of vocab = %d characters" % V)
    for i in range(min(95, V)):          # ids 0..94: printable ASCII in code point order
        chk.exact("alphabet[%d]" % i, alphabet[i], chr(0x20 + i))
    seen = {}
    for i, ch in enumerate(alphabet):
        if not isinstance(ch, str) or len(ch) != 1:
            chk.fail("alphabet[%d]" % i, "not one character: %r" % (ch,))
        elif ch in seen:
            chk.fail("alphabet[%d]" % i, "%r repeats alphabet[%d]" % (ch, seen[ch]))
        else:
            seen[ch] = i
    return seen


def check(doc, chk):
    chk.exact("format", doc.get("format"), FORMAT)
    cfg = get(doc, "config", "")
    m = Model(chk, cfg, get(doc, "weights", ""))
    alphabet = get(doc, "alphabet", "")
    index = check_alphabet(chk, alphabet, m.V)

    prompt = get(doc, "prompt", "")
    ids = []
    for pos, ch in enumerate(prompt):
        if ch not in index:
            raise Mismatch("prompt: character %r at %d is not in the alphabet" % (ch, pos + 1))
        ids.append(index[ch])
    L = len(ids)
    chk.exact("prompt_ids", get(doc, "prompt_ids", ""), ids)
    G = get(doc, "gen", "")
    steps = get(doc, "steps", "")
    if L < 1 or not isinstance(G, int) or G < 1 or L + G > m.N:
        raise Mismatch("prompt (%d) / gen (%r) / max_seq (%d) out of range" % (L, G, m.N))
    if not isinstance(steps, list) or len(steps) != G:
        raise Mismatch("steps: expected gen = %d steps, got %s"
                       % (G, len(steps) if isinstance(steps, list) else type(steps).__name__))

    tokens = list(ids)
    cache = m.empty_cache()
    for k, st in enumerate(steps):
        sp = "steps[%d]" % k
        # geometry (spec §2, cache mode)
        n, t = (L, L) if k == 0 else (1, L + k)
        p0 = t - n
        chk.exact(sp + ".step", st.get("step"), k)
        chk.exact(sp + ".phase", st.get("phase"), "prefill" if k == 0 else "decode")
        chk.exact(sp + ".n", st.get("n"), n)
        chk.exact(sp + ".t", st.get("t"), t)
        chk.exact(sp + ".p0", st.get("p0"), p0)
        chk.exact(sp + ".positions", st.get("positions"), list(range(p0, t)))
        chk.exact(sp + ".input_ids", st.get("input_ids"), tokens[p0:t])

        want = m.forward(tokens, p0, cache)
        chk.arr(sp + ".embed", get(st, "embed", sp), want["embed"])
        layers = get(st, "layers", sp)
        if not isinstance(layers, list) or len(layers) != m.Lyr:
            raise Mismatch("%s.layers: expected %d layers" % (sp, m.Lyr))
        for l, (gl, wl) in enumerate(zip(layers, want["layers"])):
            lp = "%s.layers[%d]" % (sp, l)
            for key in LAYER_KEYS:
                if not isinstance(gl, dict) or key not in gl:
                    chk.fail("%s.%s" % (lp, key), "missing")
                    continue
                chk.arr("%s.%s" % (lp, key), gl[key], wl[key])
        chk.arr(sp + ".final_ln", get(st, "final_ln", sp), want["final_ln"])
        logits = get(st, "logits", sp)
        chk.arr(sp + ".logits", logits, want["logits"])

        # the same logits from a full forward pass without any cache
        full = m.forward(tokens, 0, m.empty_cache())
        chk.arr(sp + ".logits(recompute)", logits, full["logits"])

        # greedy pick, ties to the lowest id; accept a near-tie either way
        z = want["logits"]
        mine = argmax(z)
        got = st.get("token_id")
        if isinstance(got, int) and not isinstance(got, bool) and 0 <= got < m.V:
            if got != mine and z[got] < z[mine] - 1e-4:
                chk.fail(sp + ".token_id", "got %d (%r, logit %.9g), want %d (%r, logit %.9g)"
                         % (got, alphabet[got], z[got], mine, alphabet[mine], z[mine]))
            else:
                chk.compared += 1
            chk.exact(sp + ".token", st.get("token"), alphabet[got])
            tokens.append(got)      # follow the export so later steps stay comparable
        else:
            chk.fail(sp + ".token_id", "not a token id: %r" % (got,))
            tokens.append(mine)

        counts, masked, kv_bytes = expected_counts(m, n, t, p0)
        gc = get(st, "counts", sp)
        for key in COUNT_KEYS + ["total"]:
            chk.exact("%s.counts.%s" % (sp, key), gc.get(key) if isinstance(gc, dict) else None,
                      counts[key])
        chk.exact(sp + ".masked_macs", st.get("masked_macs"), masked)
        chk.exact(sp + ".kv_cache_bytes", st.get("kv_cache_bytes"), kv_bytes)


def main():
    ap = argparse.ArgumentParser(description="Recompute a kvsim export and compare.")
    ap.add_argument("file", nargs="?", help="export JSON (default: stdin)")
    ap.add_argument("--abs-tol", type=float, default=1e-4)
    ap.add_argument("--rel-tol", type=float, default=1e-4)
    args = ap.parse_args()
    chk = Checker(args.abs_tol, args.rel_tol)
    try:
        if args.file and args.file != "-":
            with open(args.file, encoding="utf-8") as fh:
                doc = json.load(fh)
        else:
            doc = json.load(sys.stdin)
    except (OSError, ValueError) as e:
        print("export check: cannot read the export: %s" % e)
        return 1
    try:
        if not isinstance(doc, dict):
            raise Mismatch("the export is not a JSON object")
        check(doc, chk)
    except Mismatch as e:
        chk.mismatches.append(str(e))
    for line in chk.mismatches[:SHOW_MISMATCHES]:
        print("MISMATCH " + line)
    if len(chk.mismatches) > SHOW_MISMATCHES:
        print("... and %d more" % (len(chk.mismatches) - SHOW_MISMATCHES))
    print("export check: %d values compared, max abs diff %.2g, %d mismatches"
          % (chk.compared, chk.max_abs, len(chk.mismatches)))
    return 1 if chk.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
