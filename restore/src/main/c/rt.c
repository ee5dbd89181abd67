/* The minimal C runtime the compiler may call into, string helpers, and the status report. */
#include "restorer.h"

/* ---------- minimal C runtime: the compiler may emit calls to these ---------- */

void *memcpy(void *d, const void *s, size_t n)
{
    char *dp = d;
    const char *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memset(void *d, int c, size_t n)
{
    char *dp = d;
    while (n--)
        *dp++ = (char)c;
    return d;
}

int has_prefix(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return 0;
    return 1;
}

int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* ---------- reporting ---------- */

static char msg[512];
static size_t msg_len;

void put(const char *s)
{
    while (*s && msg_len < sizeof msg - 2)
        msg[msg_len++] = *s++;
}

void put_num(int64_t v)
{
    char buf[24];
    int i = 0;
    uint64_t u = v < 0 ? (uint64_t)-v : (uint64_t)v;
    do
        buf[i++] = (char)('0' + u % 10);
    while ((u /= 10) && i < 23);
    if (v < 0)
        put("-");
    while (i)
        msg[msg_len < sizeof msg - 2 ? msg_len++ : msg_len] = buf[--i];
}

void flush_status(void)
{
    msg[msg_len++] = '\n';
    if (status_fd >= 0)
        sys3(__NR_write, status_fd, msg, msg_len);
    msg_len = 0;
}

static const char *errno_name(long e)
{
    switch (e) {
    case 1: return "EPERM";   case 2: return "ENOENT";  case 9: return "EBADF";
    case 12: return "ENOMEM"; case 13: return "EACCES"; case 14: return "EFAULT";
    case 16: return "EBUSY";  case 17: return "EEXIST"; case 20: return "ENOTDIR";
    case 21: return "EISDIR"; case 22: return "EINVAL"; case 24: return "EMFILE";
    case 28: return "ENOSPC"; case 38: return "ENOSYS"; default: return "errno";
    }
}

/* Reports "error WHAT: DETAIL" and ends this process; the init and launcher follow it. */
__attribute__((noreturn)) void die(const char *what, const char *detail, long ret)
{
    msg_len = 0;
    put("error ");
    put(what);
    if (detail) {
        put(" ");
        put(detail);
    }
    if (IS_ERR(ret)) {
        put(": ");
        put(errno_name(-ret));
        put(" (");
        put_num(-ret);
        put(")");
    }
    flush_status();
    sys1(__NR_exit_group, 125);
    __builtin_unreachable();
}

long check(long ret, const char *what, const char *detail)
{
    if (IS_ERR(ret))
        die(what, detail, ret);
    return ret;
}

uint64_t now_ns(void)
{
    struct timespec_k ts;
    sys2(__NR_clock_gettime, CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.sec * 1000000000ull + (uint64_t)ts.nsec;
}

const char *str_at(uint32_t off)
{
    return off < strings_len ? strings + off : "";
}
