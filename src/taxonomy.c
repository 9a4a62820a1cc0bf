/*
 * taxonomy.c: name tables for classes, categories and events. Static data
 * only; lookups are linear because the sets are small and lookups happen
 * while rules load, not per line.
 */
#include "taxonomy.h"

#include <string.h>

static const char *const class_names[CLASS_COUNT] = {
    [CLASS_NONE] = "",
    [CLASS_PRELIMINARY] = "preliminary",
    [CLASS_SUCCESS] = "success",
    [CLASS_INTERMEDIATE] = "intermediate",
    [CLASS_TRANSIENT] = "transient",
    [CLASS_PERMANENT] = "permanent",
};

static const char *const category_names[CAT_COUNT] = {
    [CAT_NONE] = "",
    [CAT_DELIVERED] = "delivered",
    [CAT_USER_UNKNOWN] = "user_unknown",
    [CAT_HOST_UNKNOWN] = "host_unknown",
    [CAT_MAILBOX_FULL] = "mailbox_full",
    [CAT_MESSAGE_TOO_BIG] = "message_too_big",
    [CAT_EXCEED_LIMIT] = "exceed_limit",
    [CAT_SUSPENDED] = "suspended",
    [CAT_HAS_MOVED] = "has_moved",
    [CAT_RELAY_DENIED] = "relay_denied",
    [CAT_AUTH_FAILURE] = "auth_failure",
    [CAT_AUTH_REQUIRED] = "auth_required",
    [CAT_TLS_FAILURE] = "tls_failure",
    [CAT_REQUIRE_PTR] = "require_ptr",
    [CAT_BLOCKLISTED] = "blocklisted",
    [CAT_BAD_REPUTATION] = "bad_reputation",
    [CAT_SPAM_DETECTED] = "spam_detected",
    [CAT_VIRUS_DETECTED] = "virus_detected",
    [CAT_CONTENT_REJECTED] = "content_rejected",
    [CAT_SENDER_REJECTED] = "sender_rejected",
    [CAT_POLICY_REJECTED] = "policy_rejected",
    [CAT_GREYLISTED] = "greylisted",
    [CAT_RATE_LIMITED] = "rate_limited",
    [CAT_TOO_MANY_CONNECTIONS] = "too_many_connections",
    [CAT_NETWORK_ERROR] = "network_error",
    [CAT_EXPIRED] = "expired",
    [CAT_PROTOCOL_ERROR] = "protocol_error",
    [CAT_SYSTEM_ERROR] = "system_error",
    [CAT_SYSTEM_FULL] = "system_full",
    [CAT_NOT_ACCEPTING] = "not_accepting",
    [CAT_MAILER_ERROR] = "mailer_error",
    [CAT_SERVICE_UNAVAILABLE] = "service_unavailable",
    [CAT_UNKNOWN] = "unknown",
};

static const char *const event_names[EVENT_COUNT] = {
    [EVENT_NONE] = "",
    [EVENT_SENT] = "sent",
    [EVENT_DEFERRED] = "deferred",
    [EVENT_BOUNCED] = "bounced",
    [EVENT_EXPIRED] = "expired",
    [EVENT_REJECTED] = "rejected",
    [EVENT_REJECT_WARNING] = "reject_warning",
    [EVENT_RECEIVED] = "received",
    [EVENT_HELD] = "held",
    [EVENT_DISCARDED] = "discarded",
    [EVENT_SMTP_ERROR] = "smtp_error",
    [EVENT_NOTIFIED] = "notified",
    [EVENT_AUTH_FAILED] = "auth_failed",
};

_Static_assert(sizeof(class_names) / sizeof(class_names[0]) == CLASS_COUNT,
               "class names");
_Static_assert(sizeof(category_names) / sizeof(category_names[0]) == CAT_COUNT,
               "category names");
_Static_assert(sizeof(event_names) / sizeof(event_names[0]) == EVENT_COUNT,
               "event names");

static const char *
name_at(const char *const *names, size_t n, unsigned idx)
{
    return idx < n && names[idx] != NULL ? names[idx] : "";
}

const char *
taxonomy_class_name(enum sc_class c)
{
    return name_at(class_names, CLASS_COUNT, (unsigned)c);
}

const char *
taxonomy_category_name(enum sc_category c)
{
    return name_at(category_names, CAT_COUNT, (unsigned)c);
}

const char *
taxonomy_event_name(enum sc_event e)
{
    return name_at(event_names, EVENT_COUNT, (unsigned)e);
}

static unsigned
lookup(const char *const *names, size_t n, struct span name)
{
    if (name.len == 0)
        return 0;
    for (size_t i = 1; i < n; i++)
        if (span_eq_str(name, names[i]))
            return (unsigned)i;
    return 0;
}

enum sc_class
taxonomy_class_lookup(struct span name)
{
    return (enum sc_class)lookup(class_names, CLASS_COUNT, name);
}

enum sc_category
taxonomy_category_lookup(struct span name)
{
    return (enum sc_category)lookup(category_names, CAT_COUNT, name);
}

enum sc_event
taxonomy_event_lookup(struct span name)
{
    return (enum sc_event)lookup(event_names, EVENT_COUNT, name);
}

enum sc_class
taxonomy_class_of_reply(unsigned reply)
{
    switch (reply / 100) {
    case 1:
        return CLASS_PRELIMINARY;
    case 2:
        return CLASS_SUCCESS;
    case 3:
        return CLASS_INTERMEDIATE;
    case 4:
        return CLASS_TRANSIENT;
    case 5:
        return CLASS_PERMANENT;
    default:
        return CLASS_NONE;
    }
}

enum sc_class
taxonomy_class_of_enhanced(unsigned enh_class)
{
    switch (enh_class) {
    case 2:
        return CLASS_SUCCESS;
    case 4:
        return CLASS_TRANSIENT;
    case 5:
        return CLASS_PERMANENT;
    default:
        return CLASS_NONE;
    }
}

bool
taxonomy_is_hard_bounce(enum sc_class c, enum sc_category cat)
{
    if (c != CLASS_PERMANENT)
        return false;
    return cat == CAT_USER_UNKNOWN || cat == CAT_HOST_UNKNOWN ||
           cat == CAT_HAS_MOVED || cat == CAT_NOT_ACCEPTING;
}

const char *
taxonomy_reply_kind_name(unsigned reply)
{
    static const char *const kinds[] = {
        "syntax", "information", "connections", NULL, NULL, "mail_system",
    };
    const unsigned second = (reply / 10) % 10;
    if (reply < 100 || reply > 599 || second >= sizeof(kinds) / sizeof(*kinds))
        return NULL;
    return kinds[second];
}

const char *
taxonomy_enhanced_subject_name(unsigned subject)
{
    static const char *const subjects[] = {
        "other",   "addressing", "mailbox", "mail_system",
        "network", "protocol",   "content", "security",
    };
    if (subject >= sizeof(subjects) / sizeof(*subjects))
        return NULL;
    return subjects[subject];
}
