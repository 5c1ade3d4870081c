/*
 * timeshift.so: an LD_PRELOAD shim that moves the wall clock of one
 * process by TIMESHIFT_SECONDS (may be negative).  The realm fixture
 * uses it to let a client present a ticket that has really expired:
 * both Kerberos libraries refuse to send a ticket they think is stale,
 * so the client is told it is still earlier than it is, and the server
 * under test, on the real clock, must reject the ticket itself.
 *
 * Only CLOCK_REALTIME moves; monotonic clocks are left alone so that
 * timeouts still work.
 */

#include <sys/time.h>

#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static int	(*real_clock_gettime)(clockid_t, struct timespec *);
static long	 shift;
static int	 ready;

static void
timeshift_init(void)
{
	const char	*s;
	char		*end;
	long		 v;

	real_clock_gettime = (int (*)(clockid_t, struct timespec *))
	    dlsym(RTLD_NEXT, "clock_gettime");
	/*
	 * strtol rather than strtonum: this object is loaded into any
	 * program and must not pull libbsd in with it.
	 */
	if ((s = getenv("TIMESHIFT_SECONDS")) != NULL) {
		v = strtol(s, &end, 10);
		if (*s != '\0' && *end == '\0' && v > -315360000L &&
		    v < 315360000L)
			shift = v;
	}
	ready = 1;
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int	 r;

	if (!ready)
		timeshift_init();
	if (real_clock_gettime == NULL)
		return (-1);
	r = real_clock_gettime(id, ts);
	if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += shift;
	return (r);
}

int
gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec	 ts;

	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return (-1);
	/* glibc declares tv nonnull, so there is no NULL to test for. */
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return (0);
}

time_t
time(time_t *t)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return ((time_t)-1);
	if (t != NULL)
		*t = ts.tv_sec;
	return (ts.tv_sec);
}
