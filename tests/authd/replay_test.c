/*
 * The replay cache: seen tokens refused, entries kept for twice the skew
 * and no less, the table bounded and failing closed when full.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <atf-c.h>

#include "auth.h"

static void
token(char *buf, size_t len, unsigned int n)
{
	(void)snprintf(buf, len, "AP-REQ number %u", n);
}

static int
add(struct replay *rp, unsigned int n, time_t now)
{
	char	 t[64];

	token(t, sizeof(t), n);
	errno = 0;
	return (auth_replay_check_and_add(rp, t, strlen(t), now));
}

ATF_TC_WITHOUT_HEAD(seen_twice);
ATF_TC_BODY(seen_twice, tc)
{
	struct replay	*rp;

	ATF_REQUIRE((rp = auth_replay_create(16, 300)) != NULL);
	ATF_CHECK_EQ(add(rp, 1, 1000), 0);
	ATF_CHECK_EQ(add(rp, 1, 1000), -1);
	ATF_CHECK_EQ(errno, EEXIST);
	ATF_CHECK_EQ(add(rp, 1, 1001), -1);
	ATF_CHECK_EQ(add(rp, 2, 1001), 0);
	ATF_CHECK_EQ(auth_replay_count(rp), 2);
	/* A prefix of a token is another token. */
	ATF_CHECK_EQ(auth_replay_check_and_add(rp, "AP-REQ", 6, 1001), 0);
	ATF_CHECK_EQ(auth_replay_check_and_add(rp, "", 0, 1001), 0);
	ATF_CHECK_EQ(auth_replay_check_and_add(rp, "", 0, 1001), -1);
	auth_replay_free(rp);
}

/* A token accepted at t may come back until t + 2 * skew. */
ATF_TC_WITHOUT_HEAD(expiry);
ATF_TC_BODY(expiry, tc)
{
	struct replay	*rp;

	ATF_REQUIRE((rp = auth_replay_create(16, 300)) != NULL);
	ATF_CHECK_EQ(add(rp, 1, 1000), 0);
	ATF_CHECK_EQ(add(rp, 1, 1000 + 300), -1);
	ATF_CHECK_EQ(add(rp, 1, 1000 + 599), -1);
	ATF_CHECK_EQ(add(rp, 1, 1000 + 600), 0);
	ATF_CHECK_EQ(auth_replay_count(rp), 1);
	ATF_CHECK_EQ(add(rp, 1, 1000 + 601), -1);
	auth_replay_free(rp);
}

ATF_TC_WITHOUT_HEAD(full_fails_closed);
ATF_TC_BODY(full_fails_closed, tc)
{
	struct replay	*rp;
	unsigned int	 i;

	ATF_REQUIRE((rp = auth_replay_create(4, 300)) != NULL);
	for (i = 0; i < 4; i++)
		ATF_CHECK_EQ(add(rp, i, 1000 + i), 0);
	ATF_CHECK_EQ(add(rp, 99, 1010), -1);
	ATF_CHECK_EQ(errno, ENOSPC);
	/* Full or not, what was seen is still refused as a replay. */
	ATF_CHECK_EQ(add(rp, 0, 1010), -1);
	ATF_CHECK_EQ(errno, EEXIST);
	ATF_CHECK_EQ(auth_replay_count(rp), 4);
	/* Once the oldest expires there is room again, for one. */
	ATF_CHECK_EQ(add(rp, 99, 1600), 0);
	ATF_CHECK_EQ(add(rp, 98, 1600), -1);
	ATF_CHECK_EQ(errno, ENOSPC);
	ATF_CHECK_EQ(add(rp, 1, 1600), -1);
	ATF_CHECK_EQ(errno, EEXIST);
	ATF_CHECK_EQ(add(rp, 98, 1603), 0);
	ATF_CHECK_EQ(auth_replay_count(rp), 2);
	auth_replay_free(rp);
}

/* A clock stepping back may keep entries longer, never shorter. */
ATF_TC_WITHOUT_HEAD(clock_back);
ATF_TC_BODY(clock_back, tc)
{
	struct replay	*rp;

	ATF_REQUIRE((rp = auth_replay_create(16, 300)) != NULL);
	ATF_CHECK_EQ(add(rp, 1, 1000), 0);	/* until 1600 */
	ATF_CHECK_EQ(add(rp, 2, 500), 0);	/* until 1100 */
	ATF_CHECK_EQ(add(rp, 1, 1200), -1);
	ATF_CHECK_EQ(add(rp, 2, 1200), -1);	/* kept longer */
	ATF_CHECK_EQ(add(rp, 1, 1599), -1);
	ATF_CHECK_EQ(add(rp, 3, 1600), 0);
	ATF_CHECK_EQ(auth_replay_count(rp), 1);
	auth_replay_free(rp);
}

/* The default size, filled: every lookup stays cheap. */
ATF_TC(many);
ATF_TC_HEAD(many, tc)
{
	atf_tc_set_md_var(tc, "descr", "100000 entries, added, found, "
	    "expired");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(many, tc)
{
	struct replay	*rp;
	struct timespec	 t0, t1;
	unsigned int	 i, bad = 0;
	double		 secs;

	ATF_REQUIRE((rp = auth_replay_create(AUTH_REPLAY_MAX,
	    AUTH_REPLAY_SKEW)) != NULL);
	ATF_REQUIRE(clock_gettime(CLOCK_MONOTONIC, &t0) == 0);
	for (i = 0; i < AUTH_REPLAY_MAX; i++)
		if (add(rp, i, 1000) != 0)
			bad++;
	ATF_CHECK_EQ(bad, 0);
	ATF_CHECK_EQ(auth_replay_count(rp), AUTH_REPLAY_MAX);
	for (i = 0; i < AUTH_REPLAY_MAX; i++)
		if (add(rp, i, 1001) != -1 || errno != EEXIST)
			bad++;
	ATF_CHECK_EQ(bad, 0);
	ATF_CHECK_EQ(add(rp, AUTH_REPLAY_MAX, 1001), -1);
	ATF_CHECK_EQ(errno, ENOSPC);
	ATF_REQUIRE(clock_gettime(CLOCK_MONOTONIC, &t1) == 0);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("200000 lookups in %.3f s\n", secs);
	/* Generous, but a linear scan would take minutes. */
	ATF_CHECK(secs < 20.0);
	/* All expire at once; the next addition purges them. */
	ATF_CHECK_EQ(add(rp, AUTH_REPLAY_MAX, 1000 + 2 * AUTH_REPLAY_SKEW),
	    0);
	ATF_CHECK_EQ(auth_replay_count(rp), 1);
	auth_replay_free(rp);
}

ATF_TC_WITHOUT_HEAD(bad_arguments);
ATF_TC_BODY(bad_arguments, tc)
{
	ATF_CHECK(auth_replay_create(0, 300) == NULL);
	ATF_CHECK(auth_replay_create(1U << 30, 300) == NULL);
	ATF_CHECK(auth_replay_create(16, -1) == NULL);
	auth_replay_free(NULL);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, seen_twice);
	ATF_TP_ADD_TC(tp, expiry);
	ATF_TP_ADD_TC(tp, full_fails_closed);
	ATF_TP_ADD_TC(tp, clock_back);
	ATF_TP_ADD_TC(tp, many);
	ATF_TP_ADD_TC(tp, bad_arguments);
	return (atf_no_error());
}
