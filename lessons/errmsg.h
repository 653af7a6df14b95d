/* errmsg: the error return the lessons/ modules share — format a one-line
 * message into the caller's buffer and return -1, so a parser can write
 * `return errmsg_fail(msg, msglen, "...", ...);` (one copy instead of a
 * static fail() in each file).
 *
 * msg may be NULL or msglen 0 (the message is then dropped); otherwise the
 * text is truncated to msglen - 1 bytes and always NUL-terminated.
 */
#ifndef KVSIM_ERRMSG_H
#define KVSIM_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/* Always returns -1. */
__attribute__((format(printf, 3, 4))) int errmsg_fail(char *msg, size_t msglen, const char *fmt,
                                                      ...);
/* errmsg_fail() for callers that hold a va_list; always returns -1. */
__attribute__((format(printf, 3, 0))) int errmsg_vfail(char *msg, size_t msglen, const char *fmt,
                                                       va_list ap);

#endif
