/*
 * test_unmatched.c: normalising unknown texts for --unmatched, grouping,
 * order, and the bound on the number of groups.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "unmatched.h"

static const char *
norm(const char *s)
{
    static char buf[UNMATCHED_MAX_TEXT];
    unmatched_normalise(span_make(s, strlen(s)), buf, sizeof(buf));
    return buf;
}

TestSuite(unmatched, .timeout = 30);

Test(unmatched, addresses_ips_ids_and_numbers_are_replaced_codes_kept)
{
    cr_assert_str_eq(
        "550 5.1.1 <ADDR>: mailbox ADDR not found on IP id ID "
        "after N seconds at HOST.",
        norm("  550 5.1.1 <bob@example.org>: mailbox "
             "bob@example.org not found on 192.0.2.7 id "
             "3F2A1C0B9D after 36000 seconds at mx.example.net. \r"));
}

Test(unmatched, texts_that_differ_only_in_variables_share_a_group)
{
    struct unmatched *const u = unmatched_new();
    char *buf = NULL;
    size_t len = 0;
    FILE *const out = open_memstream(&buf, &len);

    unmatched_add(u, span_make("550 <a@example.org> rejected id 12345", 37));
    unmatched_add(u, span_make("550 <b@example.net> rejected id 67890", 37));
    unmatched_add(u, span_make("554 go away", 11));
    cr_assert_eq(0, unmatched_write(u, out));
    fclose(out);
    cr_assert_str_eq("2\t550 <ADDR> rejected id N\n1\t554 go away\n", buf);
    free(buf);
    unmatched_free(u);
}

Test(unmatched, groups_are_bounded_and_the_rest_counted_as_other)
{
    struct unmatched *const u = unmatched_new();
    char text[64];
    char *buf = NULL;
    size_t len = 0;

    for (unsigned i = 0; i < UNMATCHED_MAX_GROUPS + 5; i++) {
        /* Letters, not digits, so every text stays distinct. */
        const int n = snprintf(text, sizeof(text), "550 reason %c%c%c%c",
                               'a' + i % 26, 'a' + i / 26 % 26,
                               'a' + i / 676 % 26, 'a' + i / 17576 % 26);
        unmatched_add(u, span_make(text, (size_t)n));
    }
    FILE *const out = open_memstream(&buf, &len);
    cr_assert_eq(0, unmatched_write(u, out));
    fclose(out);
    cr_assert_not_null(strstr(buf, "5\t(other texts, beyond 10000 groups)\n"));
    free(buf);
    unmatched_free(u);
}
