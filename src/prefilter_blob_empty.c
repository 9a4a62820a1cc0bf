/*
 * prefilter_blob_empty.c: the first build stage has no embedded prefilter
 * yet; smtpclass then compiles one at start-up (see CMakeLists.txt).
 */
#include <stddef.h>

extern const unsigned char prefilter_blob[];
extern const size_t prefilter_blob_len;

const unsigned char prefilter_blob[1] = {0};
const size_t prefilter_blob_len = 0;
