/* errmsg: see errmsg.h. */
#include "lessons/errmsg.h"

#include <stdio.h>

int errmsg_vfail(char *msg, size_t msglen, const char *fmt, va_list ap)
{
    if (msg && msglen) vsnprintf(msg, msglen, fmt, ap);
    return -1;
}

int errmsg_fail(char *msg, size_t msglen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    errmsg_vfail(msg, msglen, fmt, ap);
    va_end(ap);
    return -1;
}
