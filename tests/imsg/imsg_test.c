/*
 * Unit tests for the imsg implementation: framing over real socketpairs,
 * partial and coalesced reads, descriptor passing and its refusal, size
 * limits on both sides, the exact-length accessor, EOF, and descriptors
 * closed on every path that drops a message.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "imsg.h"

#define PUMP_TRIES	100000

struct chan {
	int		 sv[2];
	struct imsgbuf	 a;		/* on sv[0] */
	struct imsgbuf	 b;		/* on sv[1] */
};

static void
set_nonblock(int fd)
{
	int	 fl;

	ATF_REQUIRE((fl = fcntl(fd, F_GETFL)) != -1);
	ATF_REQUIRE(fcntl(fd, F_SETFL, fl | O_NONBLOCK) != -1);
}

static void
mkpair(int sv[2])
{
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	set_nonblock(sv[0]);
	set_nonblock(sv[1]);
}

static void
chan_open(struct chan *c, int fdpass_a, int fdpass_b)
{
	mkpair(c->sv);
	ATF_REQUIRE(imsgbuf_init(&c->a, c->sv[0]) == 0);
	ATF_REQUIRE(imsgbuf_init(&c->b, c->sv[1]) == 0);
	if (fdpass_a)
		imsgbuf_allow_fdpass(&c->a);
	if (fdpass_b)
		imsgbuf_allow_fdpass(&c->b);
}

static void
chan_close(struct chan *c)
{
	imsgbuf_clear(&c->a);
	imsgbuf_clear(&c->b);
	close(c->sv[0]);
	close(c->sv[1]);
}

/* Write from w and read into r until r has a message; bounded. */
static ssize_t
pump_get(struct imsgbuf *w, struct imsgbuf *r, struct imsg *imsg)
{
	ssize_t	 n;
	int	 i;

	for (i = 0; i < PUMP_TRIES; i++) {
		if ((n = imsg_get(r, imsg)) != 0)
			return (n);
		ATF_REQUIRE_MSG(imsgbuf_write(w) == 0, "write: %s",
		    strerror(errno));
		ATF_REQUIRE_MSG(imsgbuf_read(r) == 1, "read: %s",
		    strerror(errno));
	}
	atf_tc_fail("no message after %d rounds", PUMP_TRIES);
	return (-1);
}

static void
fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 8));
}

static int
check(const unsigned char *p, size_t len, unsigned int seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed * 31 + i * 7 + (i >> 8)))
			return (0);
	return (1);
}

/* Bytes written straight to the socket, with nfds descriptors. */
static void
raw_sendfds(int sock, const void *data, size_t len, const int *fds,
    int nfds)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(3 * sizeof(int))];
	} cbuf;

	ATF_REQUIRE(nfds >= 0 && nfds <= 3);
	memset(&msg, 0, sizeof(msg));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = (void *)data;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), fds, nfds * sizeof(int));
	}
	ATF_REQUIRE(sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)len);
}

static void
raw_send(int sock, const void *data, size_t len, int fd)
{
	raw_sendfds(sock, data, len, &fd, fd == -1 ? 0 : 1);
}

static void
raw_hdr(int sock, uint32_t type, uint32_t len, uint32_t flags, int fd)
{
	struct imsg_hdr	 hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = len;
	hdr.flags = flags;
	hdr.pid = 1;
	raw_send(sock, &hdr, sizeof(hdr), fd);
}

/* A pipe whose read end does not block, so a leaked writer shows. */
static void
mkpipe(int p[2])
{
	ATF_REQUIRE(pipe(p) == 0);
	set_nonblock(p[0]);
}

/* Every write end of p is closed: the read end sees EOF, not EAGAIN. */
static void
require_pipe_eof(int rfd)
{
	char	 c;
	ssize_t	 n;

	n = read(rfd, &c, 1);
	ATF_REQUIRE_MSG(n == 0, "pipe not at EOF: n=%zd errno=%s", n,
	    n == -1 ? strerror(errno) : "-");
}

static void
require_closed(int fd)
{
	ATF_REQUIRE_MSG(fcntl(fd, F_GETFD) == -1 && errno == EBADF,
	    "descriptor %d still open", fd);
}

ATF_TC_WITHOUT_HEAD(roundtrip);
ATF_TC_BODY(roundtrip, tc)
{
	static const size_t	 sizes[] = { 0, 1, 7, 100, 1000, 4096,
	    MAX_IMSGSIZE - IMSG_HEADER_SIZE };
	struct chan		 c;
	struct imsg		 imsg;
	unsigned char		 buf[MAX_IMSGSIZE];
	size_t			 i, n = sizeof(sizes) / sizeof(sizes[0]);
	ssize_t			 len;

	chan_open(&c, 0, 0);
	for (i = 0; i < n; i++) {
		fill(buf, sizes[i], i);
		ATF_REQUIRE(imsg_compose(&c.a, 100 + i, 1000 + i,
		    i == 2 ? 4242 : 0, -1, buf, sizes[i]) == 1);
	}
	ATF_REQUIRE_EQ(imsgbuf_queuelen(&c.a), n);
	for (i = 0; i < n; i++) {
		len = pump_get(&c.a, &c.b, &imsg);
		ATF_REQUIRE_EQ((size_t)len, sizes[i] + IMSG_HEADER_SIZE);
		ATF_REQUIRE_EQ(imsg_get_type(&imsg), 100 + i);
		ATF_REQUIRE_EQ(imsg_get_id(&imsg), 1000 + i);
		ATF_REQUIRE_EQ(imsg_get_pid(&imsg), i == 2 ? 4242 : getpid());
		ATF_REQUIRE_EQ(imsg_get_len(&imsg), sizes[i]);
		ATF_REQUIRE_EQ(imsg.hdr.len, sizes[i] + IMSG_HEADER_SIZE);
		ATF_REQUIRE(sizes[i] == 0 || check(imsg.data, sizes[i], i));
		ATF_REQUIRE_EQ(imsg_get_fd(&imsg), -1);
		imsg_free(&imsg);
	}
	ATF_REQUIRE_EQ(imsgbuf_queuelen(&c.a), 0);
	ATF_REQUIRE_EQ(imsg_get(&c.b, &imsg), 0);
	chan_close(&c);
}

/*
 * Two messages arrive one byte per read: nothing may come out of
 * imsg_get before the last byte of each, and each comes out whole.
 */
ATF_TC_WITHOUT_HEAD(partial_bytes);
ATF_TC_BODY(partial_bytes, tc)
{
	struct chan	 cap, rx;
	struct imsg	 imsg;
	unsigned char	 wire[1024], payload[300];
	size_t		 got = 0, i, end1, end2;
	ssize_t		 n;
	int		 seen = 0;

	chan_open(&cap, 0, 0);
	chan_open(&rx, 0, 0);
	fill(payload, sizeof(payload), 9);
	/* Every header byte matters, the last one included. */
	ATF_REQUIRE(imsg_compose(&cap.a, 1, 0, 0x7a123456, -1, payload,
	    5) == 1);
	ATF_REQUIRE(imsg_compose(&cap.a, 2, 0, 0x7a123456, -1, payload,
	    sizeof(payload)) == 1);
	ATF_REQUIRE(imsgbuf_flush(&cap.a) == 0);
	while ((n = read(cap.sv[1], wire + got, sizeof(wire) - got)) > 0)
		got += n;
	end1 = IMSG_HEADER_SIZE + 5;
	end2 = end1 + IMSG_HEADER_SIZE + sizeof(payload);
	ATF_REQUIRE_EQ(got, end2);

	for (i = 0; i < got; i++) {
		raw_send(rx.sv[0], wire + i, 1, -1);
		ATF_REQUIRE_EQ(imsgbuf_read(&rx.b), 1);
		n = imsg_get(&rx.b, &imsg);
		if (i + 1 != end1 && i + 1 != end2) {
			ATF_REQUIRE_MSG(n == 0, "message after byte %zu", i);
			continue;
		}
		ATF_REQUIRE_MSG(n > 0, "no message after byte %zu", i);
		seen++;
		ATF_REQUIRE_EQ(imsg_get_type(&imsg), (uint32_t)seen);
		ATF_REQUIRE_EQ(imsg_get_pid(&imsg), 0x7a123456);
		ATF_REQUIRE_EQ(imsg_get_len(&imsg),
		    seen == 1 ? 5 : sizeof(payload));
		ATF_REQUIRE(check(imsg.data, imsg_get_len(&imsg), 9));
		imsg_free(&imsg);
	}
	ATF_REQUIRE_EQ(seen, 2);

	/* One read ends inside the second header, the next completes it. */
	raw_send(rx.sv[0], wire, end1 + 7, -1);
	ATF_REQUIRE_EQ(imsgbuf_read(&rx.b), 1);
	ATF_REQUIRE(imsg_get(&rx.b, &imsg) > 0);
	ATF_REQUIRE_EQ(imsg_get_type(&imsg), 1);
	imsg_free(&imsg);
	ATF_REQUIRE_EQ(imsg_get(&rx.b, &imsg), 0);
	raw_send(rx.sv[0], wire + end1 + 7, end2 - end1 - 7, -1);
	ATF_REQUIRE_EQ(imsgbuf_read(&rx.b), 1);
	ATF_REQUIRE(imsg_get(&rx.b, &imsg) > 0);
	ATF_REQUIRE_EQ(imsg_get_type(&imsg), 2);
	ATF_REQUIRE_EQ(imsg_get_pid(&imsg), 0x7a123456);
	ATF_REQUIRE(check(imsg.data, sizeof(payload), 9));
	imsg_free(&imsg);
	chan_close(&cap);
	chan_close(&rx);
}

/* Many small messages written at once come out of a single read. */
ATF_TC_WITHOUT_HEAD(coalesced);
ATF_TC_BODY(coalesced, tc)
{
	struct chan	 c;
	struct imsg	 imsg;
	unsigned char	 buf[40];
	uint32_t	 i;

	chan_open(&c, 0, 0);
	for (i = 0; i < 200; i++) {
		fill(buf, sizeof(buf), i);
		ATF_REQUIRE(imsg_compose(&c.a, i, i, 0, -1, buf,
		    sizeof(buf)) == 1);
	}
	ATF_REQUIRE_EQ(imsgbuf_write(&c.a), 0);
	ATF_REQUIRE_EQ(imsgbuf_queuelen(&c.a), 0);
	ATF_REQUIRE_EQ(imsgbuf_read(&c.b), 1);
	for (i = 0; i < 200; i++) {
		ATF_REQUIRE_EQ(imsg_get(&c.b, &imsg),
		    (ssize_t)(IMSG_HEADER_SIZE + sizeof(buf)));
		ATF_REQUIRE_EQ(imsg_get_type(&imsg), i);
		ATF_REQUIRE(check(imsg.data, sizeof(buf), i));
		imsg_free(&imsg);
	}
	ATF_REQUIRE_EQ(imsg_get(&c.b, &imsg), 0);
	chan_close(&c);
}

/* Send a pipe's write end, write through it on the other side. */
ATF_TC_WITHOUT_HEAD(fdpass);
ATF_TC_BODY(fdpass, tc)
{
	struct chan	 c;
	struct imsg	 imsg;
	char		 got[8];
	int		 p[2], fd, i;

	chan_open(&c, 1, 1);
	mkpipe(p);
	ATF_REQUIRE(imsg_compose(&c.a, 1, 0, 0, -1, "x", 1) == 1);
	ATF_REQUIRE(imsg_compose(&c.a, 2, 0, 0, p[1], "y", 1) == 1);
	ATF_REQUIRE(imsg_compose(&c.a, 3, 0, 0, -1, "z", 1) == 1);
	ATF_REQUIRE(imsgbuf_flush(&c.a) == 0);
	/* The sender's copy goes once sent. */
	require_closed(p[1]);

	for (i = 1; i <= 3; i++) {
		ATF_REQUIRE(pump_get(&c.a, &c.b, &imsg) > 0);
		ATF_REQUIRE_EQ(imsg_get_type(&imsg), (uint32_t)i);
		if (i != 2) {
			ATF_REQUIRE_EQ(imsg_get_fd(&imsg), -1);
			imsg_free(&imsg);
			continue;
		}
		ATF_REQUIRE((fd = imsg_get_fd(&imsg)) >= 0);
		ATF_REQUIRE_EQ(imsg_get_fd(&imsg), -1);
		imsg_free(&imsg);
		/* Still ours after imsg_free. */
		ATF_REQUIRE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		ATF_REQUIRE(write(fd, "hello", 5) == 5);
		ATF_REQUIRE(read(p[0], got, sizeof(got)) == 5);
		ATF_REQUIRE(memcmp(got, "hello", 5) == 0);
		close(fd);
	}
	require_pipe_eof(p[0]);
	close(p[0]);
	chan_close(&c);
}

/* Descriptors among plain messages go to the messages that carry them. */
ATF_TC_WITHOUT_HEAD(fdpass_order);
ATF_TC_BODY(fdpass_order, tc)
{
	static const int fdmsg[] = { 0, 1, 0, 0, 2, 1 };
	struct chan	 c;
	struct imsg	 imsg;
	int		 p[3][2], i, fd, used = 0;
	char		 ch;

	chan_open(&c, 1, 1);
	for (i = 0; i < 3; i++)
		mkpipe(p[i]);
	for (i = 0; i < 6; i++) {
		fd = fdmsg[i] ? p[used++][1] : -1;
		ATF_REQUIRE(imsg_compose(&c.a, i, 0, 0, fd, NULL, 0) == 1);
	}
	used = 0;
	for (i = 0; i < 6; i++) {
		ATF_REQUIRE(pump_get(&c.a, &c.b, &imsg) > 0);
		ATF_REQUIRE_EQ(imsg_get_type(&imsg), (uint32_t)i);
		fd = imsg_get_fd(&imsg);
		imsg_free(&imsg);
		if (!fdmsg[i]) {
			ATF_REQUIRE_EQ(fd, -1);
			continue;
		}
		ATF_REQUIRE(fd >= 0);
		ch = 'A' + used;
		ATF_REQUIRE(write(fd, &ch, 1) == 1);
		close(fd);
		ATF_REQUIRE(read(p[used][0], &ch, 1) == 1);
		ATF_REQUIRE_EQ(ch, 'A' + used);
		require_pipe_eof(p[used][0]);
		used++;
	}
	ATF_REQUIRE_EQ(used, 3);
	for (i = 0; i < 3; i++)
		close(p[i][0]);
	chan_close(&c);
}

/* A receiver that did not allow descriptors closes one and fails. */
ATF_TC_WITHOUT_HEAD(fd_refused_receiver);
ATF_TC_BODY(fd_refused_receiver, tc)
{
	struct chan	 c;
	struct imsg	 imsg;
	int		 p[2];

	chan_open(&c, 1, 0);
	mkpipe(p);
	ATF_REQUIRE(imsg_compose(&c.a, 1, 0, 0, p[1], "x", 1) == 1);
	ATF_REQUIRE(imsgbuf_flush(&c.a) == 0);
	errno = 0;
	ATF_REQUIRE_EQ(imsgbuf_read(&c.b), -1);
	ATF_REQUIRE_EQ(errno, EBADMSG);
	require_pipe_eof(p[0]);
	/* The channel stays broken. */
	errno = 0;
	ATF_REQUIRE_EQ(imsgbuf_read(&c.b), -1);
	ATF_REQUIRE_EQ(errno, EBADMSG);
	ATF_REQUIRE_EQ(imsg_get(&c.b, &imsg), 0);
	close(p[0]);
	chan_close(&c);
}

/* A sender that did not allow descriptors refuses to queue one. */
ATF_TC_WITHOUT_HEAD(fd_refused_sender);
ATF_TC_BODY(fd_refused_sender, tc)
{
	struct chan	 c;
	struct ibuf	*wbuf;
	int		 p[2];

	chan_open(&c, 0, 1);
	mkpipe(p);
	errno = 0;
	ATF_REQUIRE_EQ(imsg_compose(&c.a, 1, 0, 0, p[1], "x", 1), -1);
	ATF_REQUIRE_EQ(errno, EINVAL);
	/* Still the caller's on failure. */
	ATF_REQUIRE(fcntl(p[1], F_GETFD) != -1);
	ATF_REQUIRE_EQ(imsgbuf_queuelen(&c.a), 0);

	/* The imsg_create path is caught when writing. */
	ATF_REQUIRE((wbuf = imsg_create(&c.a, 2, 0, 0, 1)) != NULL);
	ATF_REQUIRE_EQ(imsg_add(wbuf, "y", 1), 1);
	ibuf_fd_set(wbuf, p[1]);
	imsg_close(&c.a, wbuf);
	errno = 0;
	ATF_REQUIRE_EQ(imsgbuf_write(&c.a), -1);
	ATF_REQUIRE_EQ(errno, EINVAL);
	/* Clearing the queue closes the descriptor it held. */
	imsgbuf_clear(&c.a);
	require_pipe_eof(p[0]);
	close(p[0]);
	chan_close(&c);
}

/* A descriptor no header claims, or a claim without one, is an error. */
ATF_TC_WITHOUT_HEAD(fd_mismatch);
ATF_TC_BODY(fd_mismatch, tc)
{
	struct chan	 c;
	int		 p[2];

	chan_open(&c, 1, 1);
	mkpipe(p);
	raw_hdr(c.sv[0], 1, IMSG_HEADER_SIZE, 0, p[1]);
	close(p[1]);
	errno = 0;
	ATF_REQUIRE_EQ(imsgbuf_read(&c.b), -1);
	ATF_REQUIRE_EQ(errno, EBADMSG);
	/* Whatever the reader held is closed with its buffer. */
	imsgbuf_clear(&c.b);
	require_pipe_eof(p[0]);
	close(p[0]);
	chan_close(&c);

	chan_open(&c, 1, 1);
	raw_hdr(c.sv[0], 1, IMSG_HEADER_SIZE, IMSGF_HASFD, -1);
	errno = 0;
	ATF_REQUIRE_EQ(imsgbuf_read(&c.b), -1);
	ATF_REQUIRE_EQ(errno, EBADMSG);
	chan_close(&c);
}

/*
 * Several descriptors in one read: all closed, the channel fails.  Two
 * still fit the control buffer (its padding); three truncate it.
 */
static void
fds_at_once(int nfds)
{
	struct chan	 c;
	struct imsg_hdr	 hdr;
	int		 p[3][2], fds[3], i;

	chan_open(&c, 1, 1);
	for (i = 0; i < nfds; i++) {
		mkpipe(p[i]);
		fds[i] = p[i][1];
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = 1;
	hdr.len = sizeof(hdr);
	hdr.flags = IMSGF_HASFD;
	raw_sendfds(c.sv[0], &hdr, sizeof(hdr), fds, nfds);
	for (i = 0; i < nfds; i++)
		close(p[i][1]);
	errno = 0;
	ATF_REQUIRE_EQ(imsgbuf_read(&c.b), -1);
	ATF_REQUIRE_EQ(errno, EBADMSG);
	chan_close(&c);
	for (i = 0; i < nfds; i++) {
		require_pipe_eof(p[i][0]);
		close(p[i][0]);
	}
}

ATF_TC_WITHOUT_HEAD(fd_several_at_once);
ATF_TC_BODY(fd_several_at_once, tc)
{
	fds_at_once(2);
	fds_at_once(3);
}

/*
 * A receiver out of descriptors gets the data but not the descriptor
 * (MSG_CTRUNC); that must fail the read, not hand out a message without
 * the descriptor it announced.  (Under valgrind this case fails: valgrind
 * keeps RLIMIT_NOFILE to itself and the kernel installs the descriptor.)
 */
ATF_TC_WITHOUT_HEAD(fd_emfile);
ATF_TC_BODY(fd_emfile, tc)
{
	struct chan	 c;
	struct rlimit	 old, rl;
	int		 p[2], lowest, rv, saved;

	chan_open(&c, 1, 1);
	mkpipe(p);
	ATF_REQUIRE(imsg_compose(&c.a, 1, 0, 0, p[1], "x", 1) == 1);
	ATF_REQUIRE(imsgbuf_flush(&c.a) == 0);
	ATF_REQUIRE((lowest = dup(0)) != -1);
	close(lowest);
	ATF_REQUIRE(getrlimit(RLIMIT_NOFILE, &old) == 0);
	rl = old;
	rl.rlim_cur = lowest;
	ATF_REQUIRE(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	errno = 0;
	rv = imsgbuf_read(&c.b);
	saved = errno;
	ATF_REQUIRE(setrlimit(RLIMIT_NOFILE, &old) == 0);
	ATF_REQUIRE_EQ(rv, -1);
	ATF_REQUIRE_EQ(saved, EBADMSG);
	require_pipe_eof(p[0]);
	close(p[0]);
	chan_close(&c);
}

ATF_TC_WITHOUT_HEAD(maxsize_compose);
ATF_TC_BODY(maxsize_compose, tc)
{
	static unsigned char	 buf[MAX_IMSGSIZE + 1];
	struct chan		 c;
	struct imsg		 imsg;
	const size_t		 max = MAX_IMSGSIZE - IMSG_HEADER_SIZE;

	chan_open(&c, 0, 0);
	errno = 0;
	ATF_REQUIRE_EQ(imsg_compose(&c.a, 1, 0, 0, -1, buf, max + 1), -1);
	ATF_REQUIRE_EQ(errno, ERANGE);
	errno = 0;
	ATF_REQUIRE(imsg_create(&c.a, 1, 0, 0, max + 1) == NULL);
	ATF_REQUIRE_EQ(errno, ERANGE);
	errno = 0;
	ATF_REQUIRE_EQ(imsg_compose(&c.a, 1, 0, 0, -1, buf, SIZE_MAX), -1);
	ATF_REQUIRE_EQ(errno, ERANGE);
	ATF_REQUIRE_EQ(imsgbuf_set_maxsize(&c.a, UINT32_MAX), -1);
	ATF_REQUIRE_EQ(imsgbuf_queuelen(&c.a), 0);
	ATF_REQUIRE_EQ(imsg_compose(&c.a, 2, 0, 0, -1, buf, max), 1);
	ATF_REQUIRE_EQ(pump_get(&c.a, &c.b, &imsg),
	    (ssize_t)MAX_IMSGSIZE);
	imsg_free(&imsg);
	chan_close(&c);
}

/* Read one forged header and expect the read to fail with err. */
static void
bad_header(uint32_t len, uint32_t flags, int err)
{
	struct chan	 c;
	struct imsg	 imsg;

	chan_open(&c, 0, 0);
	raw_hdr(c.sv[0], 7, len, flags, -1);
	errno = 0;
	ATF_REQUIRE_EQ(imsgbuf_read(&c.b), -1);
	ATF_REQUIRE_EQ(errno, err);
	ATF_REQUIRE_EQ(imsg_get(&c.b, &imsg), 0);
	errno = 0;
	ATF_REQUIRE_EQ(imsgbuf_read(&c.b), -1);
	ATF_REQUIRE_EQ(errno, err);
	chan_close(&c);
}

ATF_TC_WITHOUT_HEAD(maxsize_header);
ATF_TC_BODY(maxsize_header, tc)
{
	bad_header(MAX_IMSGSIZE + 1, 0, ERANGE);
	bad_header(UINT32_MAX, 0, ERANGE);
	bad_header(IMSG_HEADER_SIZE - 1, 0, ERANGE);
	bad_header(0, 0, ERANGE);
	bad_header(IMSG_HEADER_SIZE, 0x100, EBADMSG);
}

ATF_TC_WITHOUT_HEAD(get_data_exact);
ATF_TC_BODY(get_data_exact, tc)
{
	struct chan	 c;
	struct imsg	 imsg;
	uint64_t	 v = 0x0102030405060708ULL, out = 0;
	unsigned char	 big[16];
	uint32_t	 small;

	chan_open(&c, 0, 0);
	ATF_REQUIRE(imsg_compose(&c.a, 1, 0, 0, -1, &v, sizeof(v)) == 1);
	ATF_REQUIRE(pump_get(&c.a, &c.b, &imsg) > 0);
	errno = 0;
	ATF_REQUIRE_EQ(imsg_get_data(&imsg, &small, sizeof(small)), -1);
	ATF_REQUIRE_EQ(errno, EBADMSG);
	errno = 0;
	ATF_REQUIRE_EQ(imsg_get_data(&imsg, big, sizeof(big)), -1);
	ATF_REQUIRE_EQ(errno, EBADMSG);
	errno = 0;
	ATF_REQUIRE_EQ(imsg_get_data(&imsg, big, 0), -1);
	ATF_REQUIRE_EQ(errno, EINVAL);
	ATF_REQUIRE_EQ(imsg_get_len(&imsg), sizeof(v));
	ATF_REQUIRE_EQ(imsg_get_data(&imsg, &out, sizeof(out)), 0);
	ATF_REQUIRE_EQ(out, v);
	ATF_REQUIRE_EQ(imsg_get_len(&imsg), 0);
	imsg_free(&imsg);
	chan_close(&c);
}

ATF_TC_WITHOUT_HEAD(zero_length);
ATF_TC_BODY(zero_length, tc)
{
	struct chan	 c;
	struct imsg	 imsg;
	struct ibuf	 ib;
	char		 ch;

	chan_open(&c, 0, 0);
	ATF_REQUIRE(imsg_compose(&c.a, 5, 6, 0, -1, NULL, 0) == 1);
	ATF_REQUIRE_EQ(pump_get(&c.a, &c.b, &imsg),
	    (ssize_t)IMSG_HEADER_SIZE);
	ATF_REQUIRE_EQ(imsg_get_type(&imsg), 5);
	ATF_REQUIRE_EQ(imsg_get_id(&imsg), 6);
	ATF_REQUIRE_EQ(imsg_get_len(&imsg), 0);
	ATF_REQUIRE(imsg.data == NULL);
	errno = 0;
	ATF_REQUIRE_EQ(imsg_get_data(&imsg, &ch, 1), -1);
	ATF_REQUIRE_EQ(errno, EBADMSG);
	ATF_REQUIRE_EQ(imsg_get_ibuf(&imsg, &ib), -1);
	imsg_free(&imsg);
	chan_close(&c);
}

ATF_TC_WITHOUT_HEAD(eof);
ATF_TC_BODY(eof, tc)
{
	struct chan	 c;
	struct imsg	 imsg;

	chan_open(&c, 0, 0);
	ATF_REQUIRE(imsg_compose(&c.a, 1, 0, 0, -1, "abc", 3) == 1);
	ATF_REQUIRE(imsgbuf_flush(&c.a) == 0);
	close(c.sv[0]);
	ATF_REQUIRE_EQ(imsgbuf_read(&c.b), 1);
	ATF_REQUIRE(imsg_get(&c.b, &imsg) > 0);
	imsg_free(&imsg);
	ATF_REQUIRE_EQ(imsgbuf_read(&c.b), 0);
	ATF_REQUIRE_EQ(imsg_get(&c.b, &imsg), 0);
	imsgbuf_clear(&c.a);
	imsgbuf_clear(&c.b);
	close(c.sv[1]);
}

/* Writing to a closed peer is EPIPE, not a SIGPIPE that kills us. */
ATF_TC_WITHOUT_HEAD(write_epipe);
ATF_TC_BODY(write_epipe, tc)
{
	struct chan	 c;

	chan_open(&c, 0, 0);
	close(c.sv[1]);
	ATF_REQUIRE(imsg_compose(&c.a, 1, 0, 0, -1, "abc", 3) == 1);
	errno = 0;
	ATF_REQUIRE_EQ(imsgbuf_write(&c.a), -1);
	ATF_REQUIRE_EQ(errno, EPIPE);
	imsgbuf_clear(&c.a);
	imsgbuf_clear(&c.b);
	close(c.sv[0]);
}

/* A 65 KiB message passes once both sides raised the limit. */
ATF_TC_WITHOUT_HEAD(large);
ATF_TC_BODY(large, tc)
{
	const size_t	 len = 65536 + 1024;
	struct chan	 c;
	struct imsg	 imsg;
	unsigned char	*buf;
	int		 sndbuf = 4096, writes = 0;

	ATF_REQUIRE((buf = malloc(len)) != NULL);
	fill(buf, len, 3);

	chan_open(&c, 0, 0);
	/* A small socket buffer makes the sender write in pieces. */
	ATF_REQUIRE(setsockopt(c.sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf)) == 0);
	ATF_REQUIRE_EQ(imsg_compose(&c.a, 1, 0, 0, -1, buf, len), -1);
	ATF_REQUIRE_EQ(imsgbuf_set_maxsize(&c.a, len), 0);
	ATF_REQUIRE_EQ(imsgbuf_set_maxsize(&c.b, len), 0);
	ATF_REQUIRE_EQ(imsg_compose(&c.a, 1, 0, 0, -1, buf, len), 1);
	ATF_REQUIRE_EQ(imsg_compose(&c.a, 2, 0, 0, -1, buf, 10), 1);
	while (imsg_get(&c.b, &imsg) == 0 && writes++ < PUMP_TRIES) {
		ATF_REQUIRE_EQ(imsgbuf_write(&c.a), 0);
		ATF_REQUIRE_EQ(imsgbuf_read(&c.b), 1);
	}
	ATF_REQUIRE_MSG(writes > 2, "written in %d pieces only", writes);
	ATF_REQUIRE_EQ(imsg.hdr.len, len + IMSG_HEADER_SIZE);
	ATF_REQUIRE_EQ(imsg_get_len(&imsg), len);
	ATF_REQUIRE(check(imsg.data, len, 3));
	imsg_free(&imsg);
	ATF_REQUIRE(pump_get(&c.a, &c.b, &imsg) > 0);
	ATF_REQUIRE_EQ(imsg_get_type(&imsg), 2);
	imsg_free(&imsg);
	chan_close(&c);

	/* A receiver with the default limit refuses it. */
	chan_open(&c, 0, 0);
	ATF_REQUIRE_EQ(imsgbuf_set_maxsize(&c.a, len), 0);
	ATF_REQUIRE_EQ(imsg_compose(&c.a, 1, 0, 0, -1, buf, len), 1);
	ATF_REQUIRE_EQ(imsgbuf_write(&c.a), 0);
	errno = 0;
	ATF_REQUIRE_EQ(imsgbuf_read(&c.b), -1);
	ATF_REQUIRE_EQ(errno, ERANGE);
	chan_close(&c);
	free(buf);
}

ATF_TC_WITHOUT_HEAD(composev_create_forward);
ATF_TC_BODY(composev_create_forward, tc)
{
	struct chan	 c1, c2;
	struct imsg	 imsg;
	struct iovec	 iov[3];
	struct ibuf	*wbuf, ib;
	char		 out[16];

	chan_open(&c1, 0, 0);
	chan_open(&c2, 0, 0);
	iov[0].iov_base = "ab";
	iov[0].iov_len = 2;
	iov[1].iov_base = "";
	iov[1].iov_len = 0;
	iov[2].iov_base = "cde";
	iov[2].iov_len = 3;
	ATF_REQUIRE(imsg_composev(&c1.a, 1, 11, 0, -1, iov, 3) == 1);
	ATF_REQUIRE((wbuf = imsg_create(&c1.a, 2, 22, 77, 4)) != NULL);
	ATF_REQUIRE_EQ(imsg_add(wbuf, "fg", 2), 2);
	ATF_REQUIRE_EQ(imsg_add(wbuf, "hij", 3), 3);	/* may grow */
	imsg_close(&c1.a, wbuf);
	ATF_REQUIRE((wbuf = ibuf_open(3)) != NULL);
	ATF_REQUIRE_EQ(ibuf_add(wbuf, "klm", 3), 0);
	ATF_REQUIRE_EQ(imsg_compose_ibuf(&c1.a, 3, 33, 0, wbuf), 1);

	ATF_REQUIRE(pump_get(&c1.a, &c1.b, &imsg) > 0);
	ATF_REQUIRE_EQ(imsg_get_len(&imsg), 5);
	ATF_REQUIRE(memcmp(imsg.data, "abcde", 5) == 0);
	imsg_free(&imsg);

	ATF_REQUIRE(pump_get(&c1.a, &c1.b, &imsg) > 0);
	ATF_REQUIRE_EQ(imsg_get_pid(&imsg), 77);
	ATF_REQUIRE_EQ(imsg_forward(&c2.a, &imsg), 1);
	ATF_REQUIRE_EQ(imsg_get_ibuf(&imsg, &ib), 0);
	ATF_REQUIRE_EQ(ibuf_size(&ib), 5);
	imsg_free(&imsg);

	ATF_REQUIRE(pump_get(&c2.a, &c2.b, &imsg) > 0);
	ATF_REQUIRE_EQ(imsg_get_type(&imsg), 2);
	ATF_REQUIRE_EQ(imsg_get_id(&imsg), 22);
	ATF_REQUIRE_EQ(imsg_get_pid(&imsg), 77);
	ATF_REQUIRE_EQ(imsg_get_buf(&imsg, out, 2), 0);
	ATF_REQUIRE(memcmp(out, "fg", 2) == 0);
	ATF_REQUIRE_EQ(imsg_get_len(&imsg), 3);
	ATF_REQUIRE_EQ(imsg_get_data(&imsg, out, 3), 0);
	ATF_REQUIRE(memcmp(out, "hij", 3) == 0);
	imsg_free(&imsg);

	ATF_REQUIRE_EQ(pump_get(&c1.a, &c1.b, &imsg),
	    (ssize_t)(IMSG_HEADER_SIZE + 3));
	ATF_REQUIRE_EQ(imsg_get_type(&imsg), 3);
	ATF_REQUIRE_EQ(imsg_get_id(&imsg), 33);
	ATF_REQUIRE(memcmp(imsg.data, "klm", 3) == 0);
	imsg_free(&imsg);
	chan_close(&c1);
	chan_close(&c2);
}

/*
 * Send the first part bytes of a message that carries a descriptor,
 * then clear the reader: the descriptor it holds must be closed.
 */
static void
partial_with_fd(size_t part)
{
	struct chan	 c;
	struct imsg	 imsg;
	struct imsg_hdr	 hdr;
	unsigned char	 wire[IMSG_HEADER_SIZE + 10];
	int		 p[2];

	ATF_REQUIRE(part <= sizeof(wire));
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = 1;
	hdr.len = sizeof(wire);
	hdr.flags = IMSGF_HASFD;
	hdr.pid = 1;
	memset(wire, 0, sizeof(wire));
	memcpy(wire, &hdr, sizeof(hdr));

	chan_open(&c, 1, 1);
	mkpipe(p);
	raw_send(c.sv[0], wire, part, p[1]);
	close(p[1]);
	ATF_REQUIRE_EQ(imsgbuf_read(&c.b), 1);
	ATF_REQUIRE_EQ(imsg_get(&c.b, &imsg), 0);
	chan_close(&c);
	require_pipe_eof(p[0]);
	close(p[0]);
}

/* Descriptors still queued either way are closed by imsgbuf_clear. */
ATF_TC_WITHOUT_HEAD(clear_closes_fds);
ATF_TC_BODY(clear_closes_fds, tc)
{
	struct chan	 c;
	int		 p[2];

	/* Queued for writing, never sent. */
	chan_open(&c, 1, 1);
	mkpipe(p);
	ATF_REQUIRE(imsg_compose(&c.a, 1, 0, 0, p[1], NULL, 0) == 1);
	chan_close(&c);
	require_pipe_eof(p[0]);
	close(p[0]);

	/* Received, never taken by imsg_get. */
	chan_open(&c, 1, 1);
	mkpipe(p);
	ATF_REQUIRE(imsg_compose(&c.a, 1, 0, 0, p[1], NULL, 0) == 1);
	ATF_REQUIRE(imsgbuf_flush(&c.a) == 0);
	ATF_REQUIRE_EQ(imsgbuf_read(&c.b), 1);
	chan_close(&c);
	require_pipe_eof(p[0]);
	close(p[0]);

	/* Part of a header and its descriptor read; the rest never comes. */
	partial_with_fd(10);
	/* Header and descriptor read, the body still incomplete. */
	partial_with_fd(IMSG_HEADER_SIZE + 4);

	/* Taken by imsg_get, freed without imsg_get_fd. */
	chan_open(&c, 1, 1);
	mkpipe(p);
	ATF_REQUIRE(imsg_compose(&c.a, 1, 0, 0, p[1], NULL, 0) == 1);
	{
		struct imsg	 imsg;

		ATF_REQUIRE(pump_get(&c.a, &c.b, &imsg) > 0);
		imsg_free(&imsg);
	}
	require_pipe_eof(p[0]);
	close(p[0]);
	chan_close(&c);
}

ATF_TC_WITHOUT_HEAD(ibuf_basics);
ATF_TC_BODY(ibuf_basics, tc)
{
	struct ibuf	*b, rb;
	uint16_t	 v16;
	uint32_t	 v32;
	uint64_t	 v64;
	char		 s[8];

	ATF_REQUIRE((b = ibuf_dynamic(2, 16)) != NULL);
	ATF_REQUIRE_EQ(ibuf_add_n16(b, 0x0102), 0);
	ATF_REQUIRE_EQ(ibuf_add_n32(b, 0x03040506), 0);
	ATF_REQUIRE_EQ(ibuf_add_h64(b, 42), 0);
	ATF_REQUIRE_EQ(ibuf_size(b), 14);
	ATF_REQUIRE_EQ(ibuf_left(b), 2);
	errno = 0;
	ATF_REQUIRE_EQ(ibuf_add_zero(b, 3), -1);
	ATF_REQUIRE_EQ(errno, ERANGE);
	ATF_REQUIRE_EQ(ibuf_add_n8(b, 256), -1);
	ATF_REQUIRE(memcmp(ibuf_data(b), "\1\2\3\4\5\6", 6) == 0);
	ATF_REQUIRE_EQ(ibuf_set_n16(b, 0, 0x0a0b), 0);
	ATF_REQUIRE(ibuf_seek(b, 10, 5) == NULL);

	ibuf_from_ibuf(&rb, b);
	ATF_REQUIRE_EQ(ibuf_get_n16(&rb, &v16), 0);
	ATF_REQUIRE_EQ(v16, 0x0a0b);
	ATF_REQUIRE_EQ(ibuf_get_n32(&rb, &v32), 0);
	ATF_REQUIRE_EQ(v32, 0x03040506);
	ATF_REQUIRE_EQ(ibuf_get_h64(&rb, &v64), 0);
	ATF_REQUIRE_EQ(v64, 42);
	ATF_REQUIRE_EQ(ibuf_get_h16(&rb, &v16), -1);
	ATF_REQUIRE(ibuf_reserve(&rb, 1) == NULL);
	ibuf_free(b);

	ATF_REQUIRE((b = ibuf_open(8)) != NULL);
	ATF_REQUIRE_EQ(ibuf_add_strbuf(b, "12345678", 8), -1);
	ATF_REQUIRE_EQ(ibuf_add_strbuf(b, "abc", 8), 0);
	ibuf_from_ibuf(&rb, b);
	ATF_REQUIRE_EQ(ibuf_get_strbuf(&rb, s, sizeof(s)), 0);
	ATF_REQUIRE_STREQ(s, "abc");
	ibuf_free(b);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, roundtrip);
	ATF_TP_ADD_TC(tp, partial_bytes);
	ATF_TP_ADD_TC(tp, coalesced);
	ATF_TP_ADD_TC(tp, fdpass);
	ATF_TP_ADD_TC(tp, fdpass_order);
	ATF_TP_ADD_TC(tp, fd_refused_receiver);
	ATF_TP_ADD_TC(tp, fd_refused_sender);
	ATF_TP_ADD_TC(tp, fd_mismatch);
	ATF_TP_ADD_TC(tp, fd_several_at_once);
	ATF_TP_ADD_TC(tp, fd_emfile);
	ATF_TP_ADD_TC(tp, maxsize_compose);
	ATF_TP_ADD_TC(tp, maxsize_header);
	ATF_TP_ADD_TC(tp, get_data_exact);
	ATF_TP_ADD_TC(tp, zero_length);
	ATF_TP_ADD_TC(tp, eof);
	ATF_TP_ADD_TC(tp, write_epipe);
	ATF_TP_ADD_TC(tp, large);
	ATF_TP_ADD_TC(tp, composev_create_forward);
	ATF_TP_ADD_TC(tp, clear_closes_fds);
	ATF_TP_ADD_TC(tp, ibuf_basics);
	return (atf_no_error());
}
