/*
 * fields.h: values pulled out of a line that already has an outcome: the
 * relay's host name and the delivery delay. The rules' named groups find
 * the raw fields (rcpt, relay); this module only takes them apart, so it
 * costs nothing on lines without an outcome. No allocation.
 */
#ifndef SMTPCLASS_FIELDS_H
#define SMTPCLASS_FIELDS_H

#include <stdbool.h>
#include <stdint.h>

#include "span.h"

/*
 * The host of a relay field as the MTAs write it: Postfix
 * "host[ip]:port" (and "none", "local", "dovecot" as they are), Exim
 * "host [ip]", Sendmail "host. [ip] (may be forged)". A field without a
 * name ("[ip]", "[ip]:port") gives the address. One trailing dot is
 * dropped. Returns an empty span when nothing is left; the result borrows
 * from relay.
 */
struct span fields_relay_host(struct span relay);

/*
 * The delivery delay of a log message, rounded to milliseconds: Postfix
 * `delay=1.25`, Sendmail `delay=[D+]HH:MM:SS` (else `xdelay=`), Exim
 * `QT=1m2s` (time on the queue, as Postfix's delay), else `DT=` (the
 * delivery alone). Returns false when the message has none or it does not
 * parse (or exceeds FIELDS_DELAY_MAX_S).
 */
#define FIELDS_DELAY_MAX_S UINT64_C(10000000000) /* ~317 years */
bool fields_delay_ms(struct span msg, uint64_t *ms);

#endif
