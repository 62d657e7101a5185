/* C helpers of ext/carbon_parser.pyx: the hot path of the compiled carbon parser.
   Whitespace table, seeded hash, exact decimal conversion and field scanning; each
   function states when it gives up (the .pyx then takes the slow path, the twin's rules). */
#ifndef TSS_CARBON_PARSER_H
#define TSS_CARBON_PARSER_H

#include <Python.h>  /* Py_ssize_t */
#include <stdint.h>
#include <string.h>

/* str.split() whitespace restricted to ASCII: \t \n \v \f \r \x1c-\x1f and space. */
static const unsigned char TSS_WS[256] = {
    [9] = 1, [10] = 1, [11] = 1, [12] = 1, [13] = 1,
    [28] = 1, [29] = 1, [30] = 1, [31] = 1, [32] = 1,
};

#define TSS_PREFETCH(p) __builtin_prefetch((const void *)(p))

static inline uint64_t tss_mix(uint64_t a, uint64_t b) {
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Seeded multiply-mix hash over 8-byte words (wyhash style). The seed is random per
   process so a sender cannot precompute names that collide. */
static inline uint64_t tss_hash(const unsigned char *p, Py_ssize_t n, uint64_t seed) {
    uint64_t h = seed ^ ((uint64_t)n * 0x9E3779B97F4A7C15ULL);
    uint64_t w;
    const unsigned char *last8 = p + n - 8;  /* for keys of 8 bytes or more */
    int long_key = n >= 8;
    while (n >= 16) {
        uint64_t w2;
        memcpy(&w, p, 8);
        memcpy(&w2, p + 8, 8);
        h = tss_mix(w ^ h ^ 0xa0761d6478bd642fULL, w2 ^ 0xe7037ed1a0b428dbULL);
        p += 16;
        n -= 16;
    }
    if (n >= 8) {
        memcpy(&w, p, 8);
        h = tss_mix(w ^ h ^ 0x8ebc6af09c88c6e3ULL, 0x589965cc75374cc3ULL);
        p += 8;
        n -= 8;
    }
    w = 0;
    if (n > 0) {
        if (long_key) {  /* the last 8 bytes, overlapping bytes already mixed: one load */
            memcpy(&w, last8, 8);
            w >>= 8 * (8 - n);
        } else {
            memcpy(&w, p, (size_t)n);
        }
    }
    return tss_mix(w ^ h ^ 0x1d8e4e27c47d124fULL, 0xa0761d6478bd642fULL ^ seed);
}

static const double TSS_POW10[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Parse a number at p: [+-]digits[.digits][(e|E)[+-]digits], at least one mantissa digit.
   Returns where it stops (the caller checks that a field ends there), or NULL when the
   text is not of that form or not exactly convertible here.
   Exact when the digits form an integer m <= 2**53 and the power of ten p is within
   +-22: m and 10**|p| are exact doubles and one IEEE multiply or divide rounds
   correctly, so the result equals Python's float(). Anything else returns NULL and the
   line takes the slow path, which calls float() itself. */
static inline const unsigned char *tss_number(const unsigned char *p, const unsigned char *end, double *out) {
    int neg = 0, sig = 0, any = 0;
    long exp10 = 0;
    uint64_t m = 0;
    if (p < end && (*p == '-' || *p == '+')) { neg = (*p == '-'); p++; }
    while (p < end && (unsigned)(*p - '0') < 10) {
        if (m || *p != '0') { if (++sig > 19) return NULL; m = m * 10 + (uint64_t)(*p - '0'); }
        any = 1; p++;
    }
    if (p < end && *p == '.') {
        p++;
        while (p < end && (unsigned)(*p - '0') < 10) {
            if (m || *p != '0') { if (++sig > 19) return NULL; m = m * 10 + (uint64_t)(*p - '0'); }
            any = 1; exp10--; p++;
            if (exp10 < -400) return NULL;
        }
    }
    if (!any) return NULL;
    if (p < end && (*p == 'e' || *p == 'E')) {
        int eneg = 0, edigits = 0;
        long e = 0;
        p++;
        if (p < end && (*p == '-' || *p == '+')) { eneg = (*p == '-'); p++; }
        while (p < end && (unsigned)(*p - '0') < 10) {
            e = e * 10 + (*p - '0'); p++;
            if (++edigits > 6) return NULL;
        }
        if (!edigits) return NULL;
        exp10 += eneg ? -e : e;
    }
    double r;
    if (m == 0) r = 0.0;
    else {
        if (m > (1ULL << 53) || exp10 > 22 || exp10 < -22) return NULL;
        r = (double)m;
        if (exp10 > 0) r *= TSS_POW10[exp10];
        else if (exp10 < 0) r /= TSS_POW10[-exp10];
    }
    *out = neg ? -r : r;
    return p;
}

/* The end of the field starting at s: the first whitespace byte, or e. Eight bytes at a
   time while no byte is below 0x21 (every whitespace byte is). */
static inline const unsigned char *tss_field_end(const unsigned char *s, const unsigned char *e) {
    while (e - s >= 8) {
        uint64_t w, low;
        memcpy(&w, s, 8);
        low = (w - 0x2121212121212121ULL) & ~w & 0x8080808080808080ULL;
        if (low) { s += __builtin_ctzll(low) >> 3; break; }
        s += 8;
    }
    while (s < e && !TSS_WS[*s]) s++;
    return s;
}
#endif  /* TSS_CARBON_PARSER_H */
