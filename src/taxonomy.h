/*
 * taxonomy.h: the closed sets of names users see in tags, JSON keys and
 * Prometheus labels (../shared/TAXONOMY.md). They are part of the interface:
 * append new values, never rename or reorder existing ones.
 */
#ifndef SMTPCLASS_TAXONOMY_H
#define SMTPCLASS_TAXONOMY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "span.h"

enum sc_class {
    CLASS_NONE = 0,
    CLASS_PRELIMINARY,  /* 1yz */
    CLASS_SUCCESS,      /* 2yz */
    CLASS_INTERMEDIATE, /* 3yz */
    CLASS_TRANSIENT,    /* 4yz */
    CLASS_PERMANENT,    /* 5yz */
    CLASS_COUNT
};

enum sc_category {
    CAT_NONE = 0, /* the line has no outcome */
    CAT_DELIVERED,
    CAT_USER_UNKNOWN,
    CAT_HOST_UNKNOWN,
    CAT_MAILBOX_FULL,
    CAT_MESSAGE_TOO_BIG,
    CAT_EXCEED_LIMIT,
    CAT_SUSPENDED,
    CAT_HAS_MOVED,
    CAT_RELAY_DENIED,
    CAT_AUTH_FAILURE,
    CAT_AUTH_REQUIRED,
    CAT_TLS_FAILURE,
    CAT_REQUIRE_PTR,
    CAT_BLOCKLISTED,
    CAT_BAD_REPUTATION,
    CAT_SPAM_DETECTED,
    CAT_VIRUS_DETECTED,
    CAT_CONTENT_REJECTED,
    CAT_SENDER_REJECTED,
    CAT_POLICY_REJECTED,
    CAT_GREYLISTED,
    CAT_RATE_LIMITED,
    CAT_TOO_MANY_CONNECTIONS,
    CAT_NETWORK_ERROR,
    CAT_EXPIRED,
    CAT_PROTOCOL_ERROR,
    CAT_SYSTEM_ERROR,
    CAT_SYSTEM_FULL,
    CAT_NOT_ACCEPTING,
    CAT_MAILER_ERROR,
    CAT_SERVICE_UNAVAILABLE,
    CAT_UNKNOWN,
    CAT_COUNT
};

enum sc_event {
    EVENT_NONE = 0, /* the outcome's event could not be told */
    EVENT_SENT,
    EVENT_DEFERRED,
    EVENT_BOUNCED,
    EVENT_EXPIRED,
    EVENT_REJECTED,
    EVENT_REJECT_WARNING,
    EVENT_RECEIVED,
    EVENT_HELD,
    EVENT_DISCARDED,
    EVENT_SMTP_ERROR, /* a remote reply logged on its own (Exim) */
    EVENT_NOTIFIED,   /* a delivery status notification was generated */
    EVENT_AUTH_FAILED,
    EVENT_COUNT
};

/* Names as users see them; "" for the NONE values. Never NULL. */
const char *taxonomy_class_name(enum sc_class c);
const char *taxonomy_category_name(enum sc_category c);
const char *taxonomy_event_name(enum sc_event e);

/* Look a name up; returns the NONE value (0) when the name is not known. */
enum sc_class taxonomy_class_lookup(struct span name);
enum sc_category taxonomy_category_lookup(struct span name);
enum sc_event taxonomy_event_lookup(struct span name);

/* Class from a reply code (100..599) or an enhanced class digit (2, 4, 5). */
enum sc_class taxonomy_class_of_reply(unsigned reply);
enum sc_class taxonomy_class_of_enhanced(unsigned enh_class);

/* Hard bounce: user_unknown, host_unknown, has_moved, not_accepting on 5yz. */
bool taxonomy_is_hard_bounce(enum sc_class c, enum sc_category cat);

/*
 * Names of the reply code's second digit (x0z syntax ... x5z mail_system)
 * and of the enhanced code's subject (X.0 other ... X.7 security); NULL
 * when the digit has no name.
 */
const char *taxonomy_reply_kind_name(unsigned reply);
const char *taxonomy_enhanced_subject_name(unsigned subject);

#endif
