/*
 * libFuzzer harness for the imsg framing of common/imsg.c and
 * common/imsg-buffer.c, as a process reads a peer it must not trust (a
 * compromised front end talking to authd or a relay): bytes and
 * descriptors written into one end of a socketpair, imsgbuf_read() and
 * imsg_get() on the other, set up as proc_chan_init() sets up every
 * channel (descriptor passing allowed, PROC_MAX_IMSGSIZE).
 *
 * The input is a list of writes, each:
 *	octet		flags: 0x01 one descriptor with the write,
 *			0x02 two, 0x80 the reader leaves the messages
 *			queued
 *	2 octets	length (big-endian), cut to what is left
 *	bytes		written with one sendmsg
 * After each write the reader reads all there is and takes the
 * messages out; at the end the writer closes and the reader reads to
 * the end.  Every message must agree with its header and be no larger
 * than the limit, a descriptor must come only with a message that says
 * it has one, and after the channel is cleared no descriptor the peer
 * sent may be left open.  libFuzzer's -malloc_limit_mb (see run.sh)
 * catches an allocation sized from the wire beyond that.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "proto.h"
#include "fuzz.h"

#define F_ONEFD		0x01
#define F_TWOFD		0x02
#define F_HOLD		0x80

/* Descriptors above the harness's own that are checked for leaks. */
#define FD_SCAN		64

static int	 devnull = -1;

static int
count_fds(void)
{
	int	 fd, n = 0;

	for (fd = 0; fd < FD_SCAN; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return (n);
}

static void
check_msg(struct imsg *imsg, ssize_t n)
{
	uint8_t		 fixed[16], part[8];
	char		 str[64];
	struct ibuf	 ib;
	size_t		 plen;
	int		 fd;

	FUZZ_CHECK(n == (ssize_t)imsg->hdr.len, "got %zd, header says %u", n,
	    imsg->hdr.len);
	FUZZ_CHECK(n >= (ssize_t)IMSG_HEADER_SIZE &&
	    n <= (ssize_t)(PROC_MAX_IMSGSIZE + IMSG_HEADER_SIZE),
	    "message of %zd bytes", n);
	plen = n - IMSG_HEADER_SIZE;
	FUZZ_CHECK(imsg_get_len(imsg) == plen, "payload %zu, want %zu",
	    imsg_get_len(imsg), plen);
	FUZZ_CHECK((imsg->data == NULL) == (plen == 0), "data pointer");
	FUZZ_CHECK(imsg_get_type(imsg) == imsg->hdr.type &&
	    imsg_get_id(imsg) == imsg->hdr.peerid &&
	    imsg_get_pid(imsg) == (pid_t)imsg->hdr.pid, "getters");

	fd = imsg_get_fd(imsg);
	if (imsg->hdr.flags & IMSGF_HASFD) {
		FUZZ_CHECK(fd >= 0 && fcntl(fd, F_GETFD) != -1,
		    "promised descriptor %d", fd);
		close(fd);
		FUZZ_CHECK(imsg_get_fd(imsg) == -1, "descriptor twice");
	} else
		FUZZ_CHECK(fd == -1, "descriptor %d nobody promised", fd);

	/* Read the payload the ways the daemons' decoders do. */
	switch (imsg->hdr.type % 4) {
	case 0:
		FUZZ_CHECK((imsg_get_data(imsg, fixed, sizeof(fixed)) == 0) ==
		    (plen == sizeof(fixed)), "imsg_get_data of %zu", plen);
		break;
	case 1:
		if (imsg_get_buf(imsg, part, sizeof(part)) == 0) {
			FUZZ_CHECK(plen >= sizeof(part), "short buf");
			FUZZ_CHECK(imsg_get_len(imsg) == plen - sizeof(part),
			    "left %zu", imsg_get_len(imsg));
		} else
			FUZZ_CHECK(plen < sizeof(part), "buf refused");
		break;
	case 2:
		if (imsg_get_strbuf(imsg, str, sizeof(str)) == 0)
			FUZZ_CHECK(memchr(str, '\0', sizeof(str)) != NULL,
			    "string not ended");
		break;
	case 3:
		if (imsg_get_ibuf(imsg, &ib) == 0)
			FUZZ_CHECK(ibuf_size(&ib) == plen, "ibuf of %zu",
			    ibuf_size(&ib));
		else
			FUZZ_CHECK(plen == 0, "ibuf refused");
		break;
	}
}

static void
drain(struct imsgbuf *ib)
{
	struct imsg	 imsg;
	ssize_t		 n;

	while ((n = imsg_get(ib, &imsg)) > 0) {
		check_msg(&imsg, n);
		imsg_free(&imsg);
	}
	FUZZ_CHECK(n == 0, "imsg_get: %zd", n);
}

/* Read all that is there; 0 once the channel is closed or broken. */
static int
reader_step(struct imsgbuf *ib, int fd, int hold)
{
	struct pollfd	 pfd;
	int		 rv;

	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) != 1)
			return (1);
		if ((rv = imsgbuf_read(ib)) != 1)
			return (0);
		if (!hold)
			drain(ib);
	}
}

static int
writer_send(int fd, const uint8_t *p, size_t len, int flags)
{
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(2 * sizeof(int))];
	}		 cbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;
	int		 fds[2] = { devnull, devnull }, nfd = 0;

	if (flags & F_TWOFD)
		nfd = 2;
	else if (flags & F_ONEFD)
		nfd = 1;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)p;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	/* A descriptor needs a byte to travel with on a stream socket. */
	if (nfd > 0 && len > 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(nfd * sizeof(int));
		memcpy(CMSG_DATA(cmsg), fds, nfd * sizeof(int));
	}
	return (sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct imsgbuf	 ib;
	size_t		 off = 0, n;
	int		 sp[2], flags, alive = 1, i, nfds;

	nfds = count_fds();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sp) == -1) {
		perror("socketpair");
		abort();
	}
	if (imsgbuf_init(&ib, sp[1]) == -1)
		abort();
	imsgbuf_allow_fdpass(&ib);
	if (imsgbuf_set_maxsize(&ib, PROC_MAX_IMSGSIZE) == -1)
		abort();

	while (alive && len - off >= 3) {
		flags = buf[off];
		n = buf[off + 1] << 8 | buf[off + 2];
		off += 3;
		if (n > len - off)
			n = len - off;
		/* The reader empties the socket after each write. */
		if (writer_send(sp[0], buf + off, n, flags) == -1)
			break;
		off += n;
		alive = reader_step(&ib, sp[1], flags & F_HOLD);
	}
	close(sp[0]);
	/* Every read takes at least a byte, or sees the end. */
	for (i = 0; alive && i < 1000; i++)
		alive = reader_step(&ib, sp[1], 0);
	FUZZ_CHECK(!alive, "the end never came");
	drain(&ib);
	imsgbuf_clear(&ib);
	close(sp[1]);
	FUZZ_CHECK(count_fds() == nfds, "%d descriptors open, want %d",
	    count_fds(), nfds);
	return (0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		perror("/dev/null");
		abort();
	}
	return (0);
}
