/*
 * compat.h: the few compiler extensions we use, behind macros, so the rest of
 * the tree stays plain C11.
 */
#ifndef SMTPCLASS_COMPAT_H
#define SMTPCLASS_COMPAT_H

#if defined(__GNUC__) || defined(__clang__)
#define SC_PRINTF(fmt_idx, arg_idx)                                            \
    __attribute__((format(printf, fmt_idx, arg_idx)))
#define SC_NORETURN __attribute__((noreturn))
#define SC_LIKELY(x) __builtin_expect(!!(x), 1)
#define SC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define SC_PRINTF(fmt_idx, arg_idx)
#define SC_NORETURN _Noreturn
#define SC_LIKELY(x) (x)
#define SC_UNLIKELY(x) (x)
#endif

#endif
