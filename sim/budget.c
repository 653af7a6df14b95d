/* budget: see budget.h. */
#include "sim/budget.h"

#include "sim/formulas.h"

#include <stdio.h>

static bool allow_large;

void budget_allow_large(bool allow)
{
    allow_large = allow;
}

/* a + b, saturating at UINT64_MAX */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t budget_run_macs(const KvConfig *c, int L, int G)
{
    uint64_t total = 0;
    for (int m = 0; m < MODE_COUNT; m++) {
        OpCounts oc;
        if (!formulas_total(c, (RunMode)m, L, G, &oc)) return UINT64_MAX;
        for (int i = 0; i < CAT_COUNT; i++) total = sat_add(total, oc.mac[i]);
    }
    return total;
}

int budget_check(const KvConfig *c, const int *Ls, int n, int G, char *err, size_t errlen)
{
    if (allow_large) return 0;
    uint64_t total = 0;
    for (int i = 0; i < n; i++) total = sat_add(total, budget_run_macs(c, Ls[i], G));
    if (total <= BUDGET_MAX_MACS) return 0;
    char amount[48];
    if (total == UINT64_MAX) snprintf(amount, sizeof amount, "more than 1.8e19");
    else {
        /* 6.7e12: one decimal, as the limit is written */
        int e = 0;
        double m = (double)total;
        while (m >= 10.0) { m /= 10.0; e++; }
        snprintf(amount, sizeof amount, "%.1fe%d", m, e);
    }
    snprintf(err, errlen,
             "this run needs %s multiply-accumulates (cache, recompute and train); the limit is "
             "5e10: give --allow-large to run it anyway",
             amount);
    return -1;
}
