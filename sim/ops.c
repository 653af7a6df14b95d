/* ops: the operation table. See ops.h. */
#include "sim/ops.h"

#include <string.h>

#define ALL ((1u << MODE_CACHE) | (1u << MODE_RECOMPUTE) | (1u << MODE_TRAIN))
#define GEN ((1u << MODE_CACHE) | (1u << MODE_RECOMPUTE))

/* In forward order (the order of OpKind). */
static const OpInfo ops[OP_KIND_COUNT] = {
    {OP_EMBED, "embed", "embed", "嵌入", {"embed", "embed", "emb"}, {"嵌入", "嵌入", "嵌入"}, false, ALL, "tokens"},
    {OP_LN1, "ln1", "LN1", "层归一化1", {"LN1", "LN"}, {"LN1", "LN"}, true, ALL, "pipeline"},
    {OP_QKV, "qkv", "Q/K/V", "Q/K/V", {"Q/K/V", "QKV"}, {"Q/K/V", "QKV"}, true, ALL, "kvcache"},
    {OP_SCORES, "scores", "QK\u1d40", "QK\u1d40", {"QK\u1d40", "QK\u1d40"}, {"QK\u1d40", "QK\u1d40"}, true, ALL,
     "attention"},
    {OP_MASK, "mask", "mask", "掩码", {"mask", "mask"}, {"掩码", "掩码"}, true, ALL, "mask"},
    {OP_SOFTMAX, "softmax", "softmax", "softmax", {"softmax", "softmax", "smax"}, {"softmax", "softmax", "smax"},
     true, ALL, "attention"},
    {OP_VALUES, "values", "\u00b7V", "\u00b7V", {"\u00b7V", "\u00b7V"}, {"\u00b7V", "\u00b7V"}, true, ALL,
     "attention"},
    {OP_OUT_PROJ, "out_proj", "out proj", "输出投影", {"out proj", "proj"}, {"输出投影", "投影"}, true, ALL,
     "pipeline"},
    {OP_LN2, "ln2", "LN2", "层归一化2", {"LN2", "LN"}, {"LN2", "LN"}, true, ALL, "pipeline"},
    {OP_FFN, "ffn", "FFN", "前馈网络", {"FFN", "FFN"}, {"FFN", "FFN"}, true, ALL, "pipeline"},
    {OP_LN_FINAL, "ln_final", "final LN", "最终层归一化", {"final LN", "LN"}, {"最终 LN", "LN"}, false, ALL,
     "pipeline"},
    {OP_LOGITS, "logits", "logits", "logits", {"logits", "logits"}, {"logits", "logits"}, false, ALL, "pipeline"},
    {OP_PICK, "pick", "pick token", "选词元", {"pick token", "token"}, {"选词", "选词"}, false, GEN, "tokens"},
    {OP_APPEND, "append", "cache append", "追加到缓存", {"cache append", "append"}, {"缓存追加", "追加"}, false,
     1u << MODE_CACHE, "kvcache"},
    {OP_LOSS, "loss", "loss", "损失", {"loss", "loss"}, {"损失", "损失"}, false, 1u << MODE_TRAIN, "ops"},
};

const OpInfo *op_info(OpKind k)
{
    return (k >= 0 && k < OP_KIND_COUNT) ? &ops[k] : NULL;
}

int op_find(const char *key)
{
    for (int k = 0; k < OP_KIND_COUNT; k++)
        if (!strcmp(key, ops[k].key)) return k;
    return -1;
}

bool op_in_mode(OpKind k, RunMode m)
{
    return k >= 0 && k < OP_KIND_COUNT && (ops[k].modes & (1u << m)) != 0;
}

int op_count(RunMode m, int n_layers)
{
    int n = 0;
    for (int k = 0; k < OP_KIND_COUNT; k++)
        if (op_in_mode((OpKind)k, m)) n += ops[k].per_layer ? n_layers : 1;
    return n;
}
