/*
 * pattern: write or check a deterministic byte stream, for byte-exact
 * transfer tests through the proxy.
 *
 *	pattern [-t seconds] gen count [seed]
 *	pattern [-t seconds] check count [seed]
 *
 * count takes a K or M suffix (powers of 1024).  "check" reads standard
 * input and exits 0 only if it is exactly count bytes of the stream;
 * otherwise it names the first offset that differs.  Both give up after
 * the time limit (default 60 seconds) so that a stuck pipe cannot hang a
 * test.
 */

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pattern.h"

#define PATTERN_BUFSZ	65536

static void	 usage(void) __attribute__((__noreturn__));
static long long parse_count(const char *);
static int	 pattern_gen(long long, uint64_t);
static int	 pattern_check(long long, uint64_t);
static void	 pattern_alarm(int);

static void
usage(void)
{
	fprintf(stderr, "usage: pattern [-t seconds] gen|check count "
	    "[seed]\n");
	exit(2);
}

static void
pattern_alarm(int sig)
{
	static const char msg[] = "pattern: time limit reached\n";

	(void)sig;
	(void)write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(3);
}

static long long
parse_count(const char *s)
{
	char		 buf[32];
	const char	*errstr;
	long long	 n, mult = 1;
	size_t		 len;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		errx(2, "count too long: %s", s);
	len = strlen(buf);
	if (len > 0 && (buf[len - 1] == 'K' || buf[len - 1] == 'k')) {
		mult = 1024;
		buf[len - 1] = '\0';
	} else if (len > 0 && (buf[len - 1] == 'M' || buf[len - 1] == 'm')) {
		mult = 1024 * 1024;
		buf[len - 1] = '\0';
	}
	n = strtonum(buf, 0, LLONG_MAX / (1024 * 1024), &errstr);
	if (errstr != NULL)
		errx(2, "count %s: %s", s, errstr);
	return (n * mult);
}

static int
pattern_gen(long long count, uint64_t seed)
{
	struct pattern	 pt;
	unsigned char	 buf[PATTERN_BUFSZ];
	size_t		 len, off;
	ssize_t		 n;

	pattern_init(&pt, seed);
	while (count > 0) {
		len = count < (long long)sizeof(buf) ?
		    (size_t)count : sizeof(buf);
		pattern_fill(&pt, buf, len);
		for (off = 0; off < len; off += n) {
			n = write(STDOUT_FILENO, buf + off, len - off);
			if (n == -1) {
				if (errno == EINTR) {
					n = 0;
					continue;
				}
				warn("write");
				return (1);
			}
		}
		count -= len;
	}
	return (0);
}

static int
pattern_check(long long count, uint64_t seed)
{
	struct pattern	 pt;
	unsigned char	 buf[PATTERN_BUFSZ];
	long long	 off = 0;
	ssize_t		 n, i;
	unsigned char	 want;

	pattern_init(&pt, seed);
	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			warn("read");
			return (1);
		}
		if (n == 0)
			break;
		for (i = 0; i < n; i++, off++) {
			if (off >= count) {
				warnx("extra data: more than %lld bytes",
				    count);
				return (1);
			}
			want = pattern_byte(&pt);
			if (buf[i] != want) {
				warnx("first difference at offset %lld: "
				    "got 0x%02x, want 0x%02x", off,
				    buf[i], want);
				return (1);
			}
		}
	}
	if (off != count) {
		warnx("short: got %lld of %lld bytes", off, count);
		return (1);
	}
	return (0);
}

int
main(int argc, char *argv[])
{
	const char	*errstr;
	long long	 count, seed = 0;
	int		 ch, limit = 60;

	while ((ch = getopt(argc, argv, "t:")) != -1) {
		switch (ch) {
		case 't':
			limit = strtonum(optarg, 1, 3600, &errstr);
			if (errstr != NULL)
				errx(2, "time limit %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || argc > 3)
		usage();
	count = parse_count(argv[1]);
	if (argc == 3) {
		seed = strtonum(argv[2], 0, LLONG_MAX, &errstr);
		if (errstr != NULL)
			errx(2, "seed %s: %s", argv[2], errstr);
	}

	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, pattern_alarm);
	alarm(limit);

	if (strcmp(argv[0], "gen") == 0)
		return (pattern_gen(count, seed));
	if (strcmp(argv[0], "check") == 0)
		return (pattern_check(count, seed));
	usage();
}
