/*
 * test_fields.c: the relay host out of the relay field of each MTA, and the
 * delivery delay out of Postfix, Sendmail and Exim messages (rounding to
 * milliseconds, malformed values, the order of preference), on
 * exact-size heap copies so ASan sees any read past the span.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

/* An exact-size heap copy of s, not NUL-terminated; release with free(). */
static struct span
heap_span(const char *s)
{
    const size_t n = strlen(s);
    char *const p = malloc(n > 0 ? n : 1);

    cr_assert_not_null(p);
    memcpy(p, s, n);
    return span_make(p, n);
}

static void
assert_host(const char *want, const char *relay)
{
    const struct span in = heap_span(relay);
    const struct span got = fields_relay_host(in);

    cr_assert_eq(strlen(want), got.len, "'%s': got %zu bytes", relay, got.len);
    cr_assert(got.len == 0 || memcmp(want, got.p, got.len) == 0,
              "'%s': got '%.*s'", relay, (int)got.len, got.p);
    free((void *)in.p);
}

Test(fields, relay_host_of_postfix_fields)
{
    assert_host("mail.telia.com", "mail.telia.com[81.236.60.210]:25");
    assert_host("127.0.0.1", "127.0.0.1[127.0.0.1]:10024");
    assert_host("gmail-smtp-in.l.google.com",
                "gmail-smtp-in.l.google.com[2a00:1450:4013:c01::1a]:25");
    assert_host("mail.example.org", "mail.example.org[private/dovecot-lmtp]");
    assert_host("none", "none");
    assert_host("local", "local");
    assert_host("dovecot", "dovecot");
}

Test(fields, relay_host_of_exim_and_sendmail_fields)
{
    assert_host("mx1.example.net", "mx1.example.net [203.0.113.20]");
    assert_host("mx.example.net", "mx.example.net. [203.0.113.20]");
    assert_host("example.com", "example.com [192.0.2.3] (may be forged)");
    assert_host("localhost", "localhost");
}

Test(fields, relay_without_a_name_gives_the_address)
{
    assert_host("192.0.2.5", "[192.0.2.5]");
    assert_host("127.0.0.1", "[127.0.0.1] [127.0.0.1]");
    assert_host("192.0.2.9", "[192.0.2.9]:25");
    assert_host("", "[192.0.2.9");
    assert_host("", "");
    assert_host("", ".");
}

static bool
delay_of(const char *msg, uint64_t *ms)
{
    const struct span in = heap_span(msg);
    const bool ok = fields_delay_ms(in, ms);

    free((void *)in.p);
    return ok;
}

static void
assert_delay(uint64_t want_ms, const char *msg)
{
    uint64_t ms = 12345;

    cr_assert(delay_of(msg, &ms), "no delay in '%s'", msg);
    cr_assert_eq(want_ms, ms, "'%s': got %llu ms", msg, (unsigned long long)ms);
}

static void
assert_no_delay(const char *msg)
{
    uint64_t ms = 0;

    cr_assert(!delay_of(msg, &ms), "'%s' gave %llu ms", msg,
              (unsigned long long)ms);
}

Test(fields, postfix_delay)
{
    assert_delay(2017000,
                 "5270320179: to=<hebj@telia.com>, "
                 "relay=mail.telia.com[81.236.60.210]:25, delay=2017, "
                 "delays=0.1/2017/0.03/0.05, dsn=2.0.0, status=sent (250 2.0.0 "
                 "6FVIjIMwUJwU66FVIjAEB0 mail accepted for delivery)");
    assert_delay(60, "A: to=<a@b.example>, relay=none, delay=0.06, "
                     "delays=0.06/0/0/0, dsn=5.1.1, status=bounced (x)");
    assert_delay(1500, "A: to=<a@b>, delay=1.5, status=sent");
    /* Finer than a millisecond: rounded half up. */
    assert_delay(2, "A: delay=0.0015, status=sent");
    assert_delay(1, "A: delay=0.0014, status=sent");
    assert_delay(1000, "A: delay=0.9996, status=sent");
    /* At the end of the message. */
    assert_delay(30000, "A: to=<a@b>, delay=30");
}

Test(fields, sendmail_delay_and_xdelay)
{
    assert_delay(1000, "523A0005003111: to=<carol@example.net>, "
                       "ctladdr=<bob@example.org> (1001/1001), "
                       "delay=00:00:01, xdelay=00:00:00, mailer=esmtp, "
                       "relay=mx.example.net. [203.0.113.20], dsn=2.0.0, "
                       "stat=Sent (Ok)");
    assert_delay(93784000, "x: to=<a@b>, delay=1+02:03:04, xdelay=00:00:01");
    /* xdelay= only when delay= is missing. */
    assert_delay(30000, "x: to=<a@b>, xdelay=00:00:30, stat=Deferred");
    assert_delay(5000, "x: to=<a@b>, xdelay=00:00:30, delay=00:00:05");
}

Test(fields, exim_queue_time_before_delivery_time)
{
    assert_delay(62000, "1tp3Ab-000Bce-2y => carol@example.net R=dnslookup "
                        "T=remote_smtp H=mx1.example.net [203.0.113.20] "
                        "C=\"250 OK\" QT=1m2s DT=1s");
    assert_delay(1000, "1tp3Ab-000Bce-2y => carol@example.net "
                       "H=mx1.example.net [203.0.113.20] C=\"250 OK\" DT=1s");
    assert_delay(788645123, "x => a@b QT=1w2d3h4m5.123s");
    assert_delay(0, "x => a@b DT=0s");
}

Test(fields, malformed_or_absent_delays_give_none)
{
    assert_no_delay("");
    assert_no_delay("A: to=<a@b>, relay=none, status=sent");
    assert_no_delay("A: delay=, status=sent");
    assert_no_delay("A: delay=abc, status=sent");
    assert_no_delay("A: delay=1.5x, status=sent");
    assert_no_delay("A: delay=00:61:00, status=sent");
    assert_no_delay("A: delay=00:00, status=sent");
    assert_no_delay("A: mydelay=5, status=sent");
    assert_no_delay("A: delays=0.1/0/0/0");
    assert_no_delay("x => a@b DT=5");
    assert_no_delay("x => a@b DT=1.5m");
    assert_no_delay("x => a@b XDT=5s");
    assert_no_delay("A: delay=99999999999999999999999, status=sent");
    assert_no_delay("x => a@b QT=99999999999w");
}

Test(fields, a_nul_byte_is_not_a_separator)
{
    const char msg[] = "A:\0delay=5";
    char *const p = malloc(sizeof msg - 1);
    uint64_t ms = 0;

    cr_assert_not_null(p);
    memcpy(p, msg, sizeof msg - 1);
    cr_assert(!fields_delay_ms(span_make(p, sizeof msg - 1), &ms));
    free(p);
}
