/* rope: rotary position embeddings. See rope.h. */
#include "sim/rope.h"

#include <math.h>

double rope_angle(int pos, int i, int dh)
{
    return (double)pos * pow(10000.0, -2.0 * (double)i / (double)dh);
}

static void turn(float *h, int dh, int pos, double sign, uint64_t *macs)
{
    for (int i = 0; 2 * i + 1 < dh; i++) {
        const double a = sign * rope_angle(pos, i, dh);
        const float c = (float)cos(a), s = (float)sin(a);
        const float x = h[2 * i], y = h[2 * i + 1];
        h[2 * i] = x * c - y * s;
        h[2 * i + 1] = x * s + y * c;
        if (macs) *macs += 4;   /* two elements, two multiply-accumulates each */
    }
}

void rope_rotate(float *x, int n, int stride, int heads, int dh, int pos0, uint64_t *macs)
{
    for (int r = 0; r < n; r++)
        for (int h = 0; h < heads; h++) turn(x + (long)r * stride + (long)h * dh, dh, pos0 + r, 1.0, macs);
}

void rope_rotate_back(float *x, int n, int stride, int heads, int dh, int pos0, uint64_t *macs)
{
    for (int r = 0; r < n; r++)
        for (int h = 0; h < heads; h++) turn(x + (long)r * stride + (long)h * dh, dh, pos0 + r, -1.0, macs);
}

void rope_unrotate(float *x, int heads, int dh, int pos)
{
    for (int h = 0; h < heads; h++) turn(x + (long)h * dh, dh, pos, -1.0, 0);
}
