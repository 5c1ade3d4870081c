/*
 * Unit tests for the escaping of values in log and audit lines
 * (common/log.c): what an auditor reads must be one line, one value per
 * key, and show every octet that came from the network.
 */

#include <sys/types.h>

#include <atf-c.h>
#include <string.h>

#include "log.h"

ATF_TC_WITHOUT_HEAD(printable);
ATF_TC_BODY(printable, tc)
{
	char	 b[128];

	ATF_CHECK_STREQ(log_escape_word("alice/admin@EXAMPLE.ORG", b,
	    sizeof(b)), "alice/admin@EXAMPLE.ORG");
	ATF_CHECK_STREQ(log_escape("a b ~!#$&'()*+,-./:;<=>?[]^_`{|}", b,
	    sizeof(b)), "a b ~!#$&'()*+,-./:;<=>?[]^_`{|}");
}

/* Quotes, backslash and '%' always; a space only in a bare word. */
ATF_TC_WITHOUT_HEAD(specials);
ATF_TC_BODY(specials, tc)
{
	char	 b[128];

	ATF_CHECK_STREQ(log_escape("a\"b\\c%d e", b, sizeof(b)),
	    "a\\042b\\134c\\045d e");
	ATF_CHECK_STREQ(log_escape_word("a\"b\\c%d e", b, sizeof(b)),
	    "a\\042b\\134c\\045d\\040e");
}

/* Control and 8-bit octets as C escapes; no line ends in a value. */
ATF_TC_WITHOUT_HEAD(controls);
ATF_TC_BODY(controls, tc)
{
	char	 b[128];

	ATF_CHECK_STREQ(log_escape("x\ny\tz\r\001\351", b, sizeof(b)),
	    "x\\ny\\tz\\r\\001\\351");
	ATF_CHECK_STREQ(log_escapen("a\0b", 3, b, sizeof(b)), "a\\0b");
	ATF_CHECK(strchr(log_escape_word("ev\nil", b, sizeof(b)), '\n') ==
	    NULL);
}

/* A short buffer cuts between escapes, never inside one. */
ATF_TC_WITHOUT_HEAD(bounded);
ATF_TC_BODY(bounded, tc)
{
	char	 b[8];

	ATF_CHECK_STREQ(log_escape("abcdef\"", b, sizeof(b)), "abcdef");
	ATF_CHECK_STREQ(log_escape("abcdefghij", b, sizeof(b)), "abcdefg");
	ATF_CHECK_STREQ(log_escape("ab\ncd", b, 4), "ab");
	ATF_CHECK_STREQ(log_escape("", b, sizeof(b)), "");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, printable);
	ATF_TP_ADD_TC(tp, specials);
	ATF_TP_ADD_TC(tp, controls);
	ATF_TP_ADD_TC(tp, bounded);
	return (atf_no_error());
}
