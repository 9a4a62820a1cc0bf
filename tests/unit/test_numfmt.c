/*
 * test_numfmt.c: milliseconds as exact decimal seconds, and doubles in the
 * shortest form that reads back the same (RC-70, RC-77).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "numfmt.h"

Test(numfmt, ms_print_as_exact_seconds)
{
    char buf[NUMFMT_BUF];

    cr_assert_str_eq("0", numfmt_ms_seconds(buf, 0));
    cr_assert_str_eq("0.001", numfmt_ms_seconds(buf, 1));
    cr_assert_str_eq("0.1", numfmt_ms_seconds(buf, 100));
    cr_assert_str_eq("0.57", numfmt_ms_seconds(buf, 570));
    cr_assert_str_eq("1.25", numfmt_ms_seconds(buf, 1250));
    cr_assert_str_eq("86400", numfmt_ms_seconds(buf, 86400000));
    cr_assert_str_eq("9999.999", numfmt_ms_seconds(buf, 9999999));
    cr_assert_str_eq("18446744073709551.615",
                     numfmt_ms_seconds(buf, UINT64_MAX));
}

Test(numfmt, doubles_round_trip_in_their_shortest_form)
{
    char buf[NUMFMT_BUF];
    const double values[] = {0.1,   1.0 / 3,   1700000000.25,
                             1e300, -2.5e-300, 123456789.123456789};

    cr_assert_str_eq("0", numfmt_double(buf, 0, false));
    cr_assert_str_eq("1700000001", numfmt_double(buf, 1700000001, false));
    cr_assert_str_eq("9007199254740991",
                     numfmt_double(buf, 9007199254740991.0, false));
    cr_assert_str_eq("1700000000.25", numfmt_double(buf, 1700000000.25, false));
    cr_assert_str_eq("0.1", numfmt_double(buf, 0.1, false));
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        cr_assert_eq(values[i],
                     strtod(numfmt_double(buf, values[i], false), NULL), "%s",
                     buf);
}

Test(numfmt, non_finite_values)
{
    char buf[NUMFMT_BUF];

    cr_assert_str_eq("NaN", numfmt_double(buf, 0.0 / 0.0, false));
    cr_assert_str_eq("+Inf", numfmt_double(buf, 1.0 / 0.0, false));
    cr_assert_str_eq("-Inf", numfmt_double(buf, -1.0 / 0.0, false));
    cr_assert_null(numfmt_double(buf, 0.0 / 0.0, true));
    cr_assert_null(numfmt_double(buf, 1.0 / 0.0, true));
    cr_assert_str_eq("2.5", numfmt_double(buf, 2.5, true));
}
