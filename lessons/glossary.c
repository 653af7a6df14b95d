/* glossary: see glossary.h. */
#include "lessons/glossary.h"

#include <stdbool.h>
#include <string.h>

static const GlossaryTerm terms[] = {
    {"prefill", "预填充", "预填|预先填充|prefill|pre-fill"},
    {"decode, decoding", "解码", "译码|decode|decoding"},
    {"KV cache", "KV 缓存", "键值缓存|KV cache"},
    {"causal mask", "因果掩码", "因果遮罩|causal mask"},
    {"masked (cell, product)", "被掩码", "遮住|屏蔽|掩掉|挡掉|遮挡|掩蔽|被遮"},
    {"masked self-attention", "掩码自注意力", "遮蔽自注意力"},
    {"teacher forcing", "教师强制", "teacher forcing"},
    {"autoregressive", "自回归", "自递归|autoregressive"},
    {"token", "词元", "令牌|token|tokens"},
    {"multi-head attention", "多头注意力", "多头关注"},
    {"grouped-query attention (GQA)", "分组查询注意力", "组查询注意力"},
    {"multi-query attention (MQA)", "多查询注意力", ""},
    {"memory-bound", "访存密集型", "内存受限|内存密集型|带宽受限|memory-bound"},
    {"compute-bound", "计算密集型", "算力受限|compute-bound"},
    {"arithmetic intensity", "计算强度", "算术强度|运算强度"},
    {"time to first token", "首字延迟", "首词延迟|首个词元延迟|首 token 延迟"},
    {"chunked prefill", "分块预填充", "分段预填充|切块预填充|chunked prefill"},
    {"speculative decoding", "投机解码", "推测解码|猜测解码|speculative decoding"},
    {"draft (token)", "草稿", "草案|草稿词元"},
    {"sliding-window attention", "滑动窗口注意力", "滑窗注意力"},
    {"rotary position embedding (RoPE)", "旋转位置编码", "旋转位置嵌入|旋转式位置编码|rotary"},
    {"prefix sharing (prefix caching)", "前缀共享", "前缀复用|共享前缀缓存|prefix sharing|prefix caching"},
    {"reference count", "引用计数", "参考计数|引用次数"},
    {"system prompt", "系统提示词", "系统提示语|system prompt"},
    {"induction head", "归纳头", "感应头|诱导头|induction head"},
    {"PagedAttention", "分页注意力", ""},
    {"residual connection", "残差连接", "残差链接|跳跃连接"},
    {"layer normalization", "层归一化", "层规范化|层标准化|层正则化"},
    {"feed-forward network", "前馈网络", "前馈神经网络|前向网络"},
    {"trade space for time", "空间换时间", "以空间换时间"},
    {"query / key / value", "查询 / 键 / 值", "询问向量|键向量值|key-value"},
    {"multiply-accumulate (MAC)", "乘加", "乘累加|乘积累加"},
    {"recompute (mode)", "重算", "重新计算模式|recompute"},
    {"embedding", "嵌入", "嵌入向量表|embedding"},
    {"head (attention)", "头", ""},
    {"layer", "层", ""},
    {"step", "步", ""},
    {"position", "位置", ""},
    {"block / block table", "块 / 块表", ""},
    {"batch", "批", "批次大小"},
    {"machine balance", "平衡点", "机器平衡"},
    {"panel names", "「词元」「注意力」「因果掩码」「KV 缓存」「运算」「累计乘加」「流水线」「KV 块」「访存」",
     ""},
};

const GlossaryTerm *glossary_terms(int *n)
{
    *n = (int)(sizeof terms / sizeof terms[0]);
    return terms;
}

static bool ascii_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool same_ci(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z') x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (unsigned char)(y - 'A' + 'a');
        if (x != y || !x) return false;
    }
    return true;
}

/* Whether `v` (len n) occurs at text[i]: ASCII variants as whole words,
 * case-insensitively; others byte for byte, unless that place is part of
 * the right term itself ("预填" inside "预填充"). */
static bool variant_at(const char *text, size_t i, const char *v, size_t n, const char *zh)
{
    if (ascii_alpha((unsigned char)v[0])) {
        if (!same_ci(text + i, v, n)) return false;
        if (i > 0 && (ascii_alpha((unsigned char)text[i - 1]) || text[i - 1] == '_')) return false;
        return !(ascii_alpha((unsigned char)text[i + n]) || text[i + n] == '_' || text[i + n] == '(');
    }
    if (strncmp(text + i, v, n)) return false;
    const size_t z = strlen(zh);
    for (size_t b = 0; b <= i && b + n <= z; b++)
        if (!strncmp(text + i - b, zh, z)) return false;
    return true;
}

/* Warn about variants in one piece of text (raw, before templates). */
static int check_text(const Lesson *l, FILE *report, const char *text, int line)
{
    static const char LP[] = "\xEF\xBC\x88", RP[] = "\xEF\xBC\x89";   /* （ ） */
    int found = 0, paren = 0;
    bool code = false, tmpl = false;
    for (size_t i = 0; text[i]; i++) {
        const char c = text[i];
        if (c == '`') { code = !code; continue; }
        if (c == '{') { tmpl = true; continue; }
        if (c == '}') { tmpl = false; continue; }
        if (!strncmp(text + i, LP, 3)) { paren++; i += 2; continue; }
        if (!strncmp(text + i, RP, 3)) { if (paren) paren--; i += 2; continue; }
        if (code || tmpl || paren) continue;
        if (((unsigned char)c & 0xC0) == 0x80) continue;   /* inside a character */
        for (size_t t = 0; t < sizeof terms / sizeof terms[0]; t++) {
            const char *v = terms[t].avoid;
            while (*v) {
                size_t n = strcspn(v, "|");
                if (n && variant_at(text, i, v, n, terms[t].zh)) {
                    if (report)
                        fprintf(report, "%s:%d: warning: '%.*s' is not the glossary's term; write "
                                "'%s' (%s), see docs/glossary.md\n", l->path, line, (int)n, v,
                                terms[t].zh, terms[t].en);
                    found++;
                }
                v += n + (v[n] == '|');
            }
        }
    }
    return found;
}

int glossary_check(const Lesson *l, FILE *report)
{
    if (strcmp(l->lang, "zh")) return 0;
    int n = check_text(l, report, l->title, 1);
    for (int i = 0; i < l->n_slides; i++) {
        const Slide *s = &l->slides[i];
        n += check_text(l, report, s->title, s->line);
        for (int p = 0; p < s->n_paragraphs; p++)
            n += check_text(l, report, s->paragraphs[p], s->paragraph_lines[p]);
        if (!s->has_question) continue;
        const Question *q = &s->question;
        n += check_text(l, report, q->text, q->line);
        for (int h = 0; h < q->n_hints; h++) n += check_text(l, report, q->hints[h], q->hint_lines[h]);
        for (int c = 0; c < q->n_choices; c++)
            n += check_text(l, report, q->choices[c].text, q->choices[c].line);
        for (int w = 0; w < q->n_wrong; w++) n += check_text(l, report, q->wrong[w].text, q->wrong[w].line);
        if (q->explain) n += check_text(l, report, q->explain, q->explain_line);
    }
    return n;
}
