/*
 * Buffers and message queues under the imsg API: struct ibuf (a growable
 * byte buffer with a read and a write position and an optional
 * descriptor) and struct msgbuf (a queue of buffers to write, and the
 * reading side that cuts a byte stream into complete messages).
 *
 * Reading is bounded: bytes arrive in one fixed buffer of IBUF_READ_SIZE,
 * and a message is copied out into a buffer of exactly its length once its
 * header is known; the header parser decides that length and refuses
 * anything over its limit.  Descriptors arrive one per recvmsg at most,
 * wait in a small queue and go to the next message whose header says it
 * carries one.  A stream that breaks these rules kills the channel: every
 * later read fails with the same error.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#define MINIMUM(a, b)	(((a) < (b)) ? (a) : (b))

/* An ibuf over memory it does not own: never grown, never freed. */
#define IBUF_FD_ON_STACK	(-2)

/*
 * A descriptor arrives with the first byte of its message at the latest,
 * and one recvmsg never returns two, so at most one waits for its header
 * once the bytes read so far are framed.  One more slot lets the check
 * after framing see the excess instead of the reader losing track.
 */
#define MSGBUF_MAXFDS		2

struct ibufqueue {
	TAILQ_HEAD(, ibuf)	 bufs;
	uint32_t		 queued;
};

struct msgbuf {
	struct ibufqueue	 bufs;	/* to write */
	struct ibufqueue	 rbufs;	/* complete messages read */
	unsigned char		*rbuf;	/* bytes read, not framed */
	size_t			 roff;	/* bytes in rbuf */
	size_t			 hdrsize;
	struct ibuf		*rpmsg;	/* message being filled */
	struct ibuf		*(*readhdr)(struct ibuf *, void *, int *);
	void			*rarg;
	int			 rfds[MSGBUF_MAXFDS];
	int			 nrfds;
	int			 rerrno; /* channel broken, or 0 */
};

union fdcmsg {
	struct cmsghdr		 hdr;
	unsigned char		 buf[CMSG_SPACE(sizeof(int))];
};

static void	ibufq_init(struct ibufqueue *);
static void	ibufq_push(struct ibufqueue *, struct ibuf *);
static struct ibuf *ibufq_pop(struct ibufqueue *);
static void	ibufq_flush(struct ibufqueue *);
static int	msgbuf_send(int, struct msgbuf *, int);
static int	msgbuf_recv(int, struct msgbuf *, int);
static void	msgbuf_drain(struct msgbuf *, size_t);

struct ibuf *
ibuf_open(size_t len)
{
	struct ibuf	*buf;

	if ((buf = calloc(1, sizeof(*buf))) == NULL)
		return (NULL);
	if (len > 0 && (buf->buf = calloc(len, 1)) == NULL) {
		free(buf);
		return (NULL);
	}
	buf->size = buf->max = len;
	buf->fd = -1;
	return (buf);
}

struct ibuf *
ibuf_dynamic(size_t len, size_t max)
{
	struct ibuf	*buf;

	if (max == 0 || max < len) {
		errno = EINVAL;
		return (NULL);
	}
	if ((buf = ibuf_open(len)) == NULL)
		return (NULL);
	buf->max = max;
	return (buf);
}

void *
ibuf_reserve(struct ibuf *buf, size_t len)
{
	unsigned char	*nb;
	void		*b;

	if (buf->fd == IBUF_FD_ON_STACK) {
		errno = EINVAL;
		return (NULL);
	}
	if (len > SIZE_MAX - buf->wpos || buf->wpos + len > buf->max) {
		errno = ERANGE;
		return (NULL);
	}
	if (buf->wpos + len > buf->size) {
		/* recallocarray: what a message held must not linger. */
		nb = recallocarray(buf->buf, buf->size, buf->wpos + len, 1);
		if (nb == NULL)
			return (NULL);
		buf->buf = nb;
		buf->size = buf->wpos + len;
	}
	b = buf->buf + buf->wpos;
	buf->wpos += len;
	return (b);
}

int
ibuf_add(struct ibuf *buf, const void *data, size_t len)
{
	void	*b;

	if (len == 0)
		return (0);
	if ((b = ibuf_reserve(buf, len)) == NULL)
		return (-1);
	memcpy(b, data, len);
	return (0);
}

int
ibuf_add_ibuf(struct ibuf *buf, const struct ibuf *from)
{
	return (ibuf_add(buf, ibuf_data(from), ibuf_size(from)));
}

int
ibuf_add_zero(struct ibuf *buf, size_t len)
{
	void	*b;

	if (len == 0)
		return (0);
	if ((b = ibuf_reserve(buf, len)) == NULL)
		return (-1);
	memset(b, 0, len);
	return (0);
}

/* A string in a field of fixed length, NUL-padded; too long is an error. */
int
ibuf_add_strbuf(struct ibuf *buf, const char *str, size_t len)
{
	char	*b;
	size_t	 n;

	if ((n = strnlen(str, len)) >= len) {
		errno = EOVERFLOW;
		return (-1);
	}
	if ((b = ibuf_reserve(buf, len)) == NULL)
		return (-1);
	memcpy(b, str, n);
	memset(b + n, 0, len - n);
	return (0);
}

int
ibuf_add_n8(struct ibuf *buf, uint64_t value)
{
	uint8_t	 v;

	if (value > UINT8_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = value;
	return (ibuf_add(buf, &v, sizeof(v)));
}

int
ibuf_add_n16(struct ibuf *buf, uint64_t value)
{
	uint16_t v;

	if (value > UINT16_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = htobe16(value);
	return (ibuf_add(buf, &v, sizeof(v)));
}

int
ibuf_add_n32(struct ibuf *buf, uint64_t value)
{
	uint32_t v;

	if (value > UINT32_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = htobe32(value);
	return (ibuf_add(buf, &v, sizeof(v)));
}

int
ibuf_add_n64(struct ibuf *buf, uint64_t value)
{
	value = htobe64(value);
	return (ibuf_add(buf, &value, sizeof(value)));
}

int
ibuf_add_h16(struct ibuf *buf, uint64_t value)
{
	uint16_t v;

	if (value > UINT16_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = value;
	return (ibuf_add(buf, &v, sizeof(v)));
}

int
ibuf_add_h32(struct ibuf *buf, uint64_t value)
{
	uint32_t v;

	if (value > UINT32_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = value;
	return (ibuf_add(buf, &v, sizeof(v)));
}

int
ibuf_add_h64(struct ibuf *buf, uint64_t value)
{
	return (ibuf_add(buf, &value, sizeof(value)));
}

/* Only the bytes between the read and the write position can be seen. */
void *
ibuf_seek(struct ibuf *buf, size_t pos, size_t len)
{
	if (pos > ibuf_size(buf) || len > ibuf_size(buf) - pos) {
		errno = ERANGE;
		return (NULL);
	}
	return (buf->buf + buf->rpos + pos);
}

int
ibuf_set(struct ibuf *buf, size_t pos, const void *data, size_t len)
{
	void	*b;

	if ((b = ibuf_seek(buf, pos, len)) == NULL)
		return (-1);
	if (len > 0)
		memcpy(b, data, len);
	return (0);
}

int
ibuf_set_n8(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint8_t	 v;

	if (value > UINT8_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = value;
	return (ibuf_set(buf, pos, &v, sizeof(v)));
}

int
ibuf_set_n16(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint16_t v;

	if (value > UINT16_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = htobe16(value);
	return (ibuf_set(buf, pos, &v, sizeof(v)));
}

int
ibuf_set_n32(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint32_t v;

	if (value > UINT32_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = htobe32(value);
	return (ibuf_set(buf, pos, &v, sizeof(v)));
}

int
ibuf_set_n64(struct ibuf *buf, size_t pos, uint64_t value)
{
	value = htobe64(value);
	return (ibuf_set(buf, pos, &value, sizeof(value)));
}

int
ibuf_set_h16(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint16_t v;

	if (value > UINT16_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = value;
	return (ibuf_set(buf, pos, &v, sizeof(v)));
}

int
ibuf_set_h32(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint32_t v;

	if (value > UINT32_MAX) {
		errno = EINVAL;
		return (-1);
	}
	v = value;
	return (ibuf_set(buf, pos, &v, sizeof(v)));
}

int
ibuf_set_h64(struct ibuf *buf, size_t pos, uint64_t value)
{
	return (ibuf_set(buf, pos, &value, sizeof(value)));
}

void *
ibuf_data(const struct ibuf *buf)
{
	return (buf->buf + buf->rpos);
}

size_t
ibuf_size(const struct ibuf *buf)
{
	return (buf->wpos - buf->rpos);
}

size_t
ibuf_left(const struct ibuf *buf)
{
	if (buf->fd == IBUF_FD_ON_STACK)
		return (0);
	return (buf->max - buf->wpos);
}

int
ibuf_truncate(struct ibuf *buf, size_t len)
{
	if (ibuf_size(buf) >= len) {
		buf->wpos = buf->rpos + len;
		return (0);
	}
	if (buf->fd == IBUF_FD_ON_STACK) {
		errno = ERANGE;
		return (-1);
	}
	return (ibuf_add_zero(buf, len - ibuf_size(buf)));
}

void
ibuf_rewind(struct ibuf *buf)
{
	buf->rpos = 0;
}

void
ibuf_close(struct msgbuf *msgbuf, struct ibuf *buf)
{
	ibufq_push(&msgbuf->bufs, buf);
}

void
ibuf_from_buffer(struct ibuf *buf, void *data, size_t len)
{
	memset(buf, 0, sizeof(*buf));
	buf->buf = data;
	buf->size = buf->wpos = len;
	buf->fd = IBUF_FD_ON_STACK;
}

void
ibuf_from_ibuf(struct ibuf *buf, const struct ibuf *from)
{
	ibuf_from_buffer(buf, ibuf_data(from), ibuf_size(from));
}

int
ibuf_get(struct ibuf *buf, void *data, size_t len)
{
	if (ibuf_size(buf) < len) {
		errno = EBADMSG;
		return (-1);
	}
	if (len > 0)
		memcpy(data, ibuf_data(buf), len);
	buf->rpos += len;
	return (0);
}

int
ibuf_get_ibuf(struct ibuf *buf, size_t len, struct ibuf *new)
{
	if (ibuf_size(buf) < len) {
		errno = EBADMSG;
		return (-1);
	}
	ibuf_from_buffer(new, ibuf_data(buf), len);
	buf->rpos += len;
	return (0);
}

int
ibuf_get_n8(struct ibuf *buf, uint8_t *value)
{
	return (ibuf_get(buf, value, sizeof(*value)));
}

int
ibuf_get_n16(struct ibuf *buf, uint16_t *value)
{
	uint16_t v;

	if (ibuf_get(buf, &v, sizeof(v)) == -1)
		return (-1);
	*value = be16toh(v);
	return (0);
}

int
ibuf_get_n32(struct ibuf *buf, uint32_t *value)
{
	uint32_t v;

	if (ibuf_get(buf, &v, sizeof(v)) == -1)
		return (-1);
	*value = be32toh(v);
	return (0);
}

int
ibuf_get_n64(struct ibuf *buf, uint64_t *value)
{
	uint64_t v;

	if (ibuf_get(buf, &v, sizeof(v)) == -1)
		return (-1);
	*value = be64toh(v);
	return (0);
}

int
ibuf_get_h16(struct ibuf *buf, uint16_t *value)
{
	return (ibuf_get(buf, value, sizeof(*value)));
}

int
ibuf_get_h32(struct ibuf *buf, uint32_t *value)
{
	return (ibuf_get(buf, value, sizeof(*value)));
}

int
ibuf_get_h64(struct ibuf *buf, uint64_t *value)
{
	return (ibuf_get(buf, value, sizeof(*value)));
}

char *
ibuf_get_string(struct ibuf *buf, size_t len)
{
	char	*str;

	if (ibuf_size(buf) < len) {
		errno = EBADMSG;
		return (NULL);
	}
	if ((str = strndup(ibuf_data(buf), len)) == NULL)
		return (NULL);
	buf->rpos += len;
	return (str);
}

/* The counterpart of ibuf_add_strbuf: the field must hold its NUL. */
int
ibuf_get_strbuf(struct ibuf *buf, char *str, size_t len)
{
	if (len == 0) {
		errno = EINVAL;
		return (-1);
	}
	if (ibuf_get(buf, str, len) == -1)
		return (-1);
	if (str[len - 1] != '\0') {
		str[len - 1] = '\0';
		errno = EOVERFLOW;
		return (-1);
	}
	return (0);
}

int
ibuf_skip(struct ibuf *buf, size_t len)
{
	if (ibuf_size(buf) < len) {
		errno = EBADMSG;
		return (-1);
	}
	buf->rpos += len;
	return (0);
}

void
ibuf_free(struct ibuf *buf)
{
	int	 saved_errno;

	if (buf == NULL)
		return;
	/* Freeing memory we never owned would corrupt the heap. */
	if (buf->fd == IBUF_FD_ON_STACK)
		abort();
	saved_errno = errno;
	if (buf->fd >= 0)
		close(buf->fd);
	freezero(buf->buf, buf->size);
	free(buf);
	errno = saved_errno;
}

int
ibuf_fd_avail(struct ibuf *buf)
{
	return (buf->fd >= 0);
}

int
ibuf_fd_get(struct ibuf *buf)
{
	int	 fd;

	if (buf->fd < 0)
		return (-1);
	fd = buf->fd;
	buf->fd = -1;
	return (fd);
}

void
ibuf_fd_set(struct ibuf *buf, int fd)
{
	if (buf->fd == IBUF_FD_ON_STACK)
		abort();
	if (buf->fd >= 0)
		close(buf->fd);
	buf->fd = fd >= 0 ? fd : -1;
}

struct msgbuf *
msgbuf_new(void)
{
	struct msgbuf	*msgbuf;

	if ((msgbuf = calloc(1, sizeof(*msgbuf))) == NULL)
		return (NULL);
	ibufq_init(&msgbuf->bufs);
	ibufq_init(&msgbuf->rbufs);
	return (msgbuf);
}

/*
 * A msgbuf that also reads: readhdr gets the first hdrsize bytes of each
 * message and returns an empty ibuf as long as the whole message (header
 * included), or NULL with errno set to refuse it.  *fd is the descriptor
 * waiting for a message, or -1; readhdr takes it by setting *fd to -1.
 */
struct msgbuf *
msgbuf_new_reader(size_t hdrsize,
    struct ibuf *(*readhdr)(struct ibuf *, void *, int *), void *arg)
{
	struct msgbuf	*msgbuf;

	if (hdrsize == 0 || hdrsize > IBUF_READ_SIZE / 2 || readhdr == NULL) {
		errno = EINVAL;
		return (NULL);
	}
	if ((msgbuf = msgbuf_new()) == NULL)
		return (NULL);
	if ((msgbuf->rbuf = calloc(IBUF_READ_SIZE, 1)) == NULL) {
		free(msgbuf);
		return (NULL);
	}
	msgbuf->hdrsize = hdrsize;
	msgbuf->readhdr = readhdr;
	msgbuf->rarg = arg;
	return (msgbuf);
}

void
msgbuf_free(struct msgbuf *msgbuf)
{
	if (msgbuf == NULL)
		return;
	msgbuf_clear(msgbuf);
	freezero(msgbuf->rbuf, msgbuf->rbuf != NULL ? IBUF_READ_SIZE : 0);
	free(msgbuf);
}

/* Drop everything queued either way and close the descriptors held. */
void
msgbuf_clear(struct msgbuf *msgbuf)
{
	int	 i;

	ibufq_flush(&msgbuf->bufs);
	ibufq_flush(&msgbuf->rbufs);
	ibuf_free(msgbuf->rpmsg);
	msgbuf->rpmsg = NULL;
	for (i = 0; i < msgbuf->nrfds; i++)
		close(msgbuf->rfds[i]);
	msgbuf->nrfds = 0;
	if (msgbuf->rbuf != NULL)
		explicit_bzero(msgbuf->rbuf, msgbuf->roff);
	msgbuf->roff = 0;
}

uint32_t
msgbuf_queuelen(struct msgbuf *msgbuf)
{
	return (msgbuf->bufs.queued);
}

struct ibuf *
msgbuf_get(struct msgbuf *msgbuf)
{
	return (ibufq_pop(&msgbuf->rbufs));
}

/* Write what is queued; a buffer that carries a descriptor is an error. */
int
ibuf_write(int fd, struct msgbuf *msgbuf)
{
	return (msgbuf_send(fd, msgbuf, 0));
}

/* Write what is queued, passing descriptors. */
int
msgbuf_write(int fd, struct msgbuf *msgbuf)
{
	return (msgbuf_send(fd, msgbuf, 1));
}

/* Read; a descriptor from the peer is closed and breaks the channel. */
int
ibuf_read(int fd, struct msgbuf *msgbuf)
{
	return (msgbuf_recv(fd, msgbuf, 0));
}

/* Read, accepting one descriptor per message. */
int
msgbuf_read(int fd, struct msgbuf *msgbuf)
{
	return (msgbuf_recv(fd, msgbuf, 1));
}

/*
 * Gather the queued buffers into iov.  A buffer with a descriptor goes
 * first in its sendmsg and ends the batch before the next one, so each
 * descriptor leaves with the first byte of its own message.
 */
static int
msgbuf_gather(struct msgbuf *msgbuf, struct iovec *iov, int allowfd,
    struct ibuf **fdbuf)
{
	struct ibuf	*buf;
	int		 i = 0;

	*fdbuf = NULL;
	TAILQ_FOREACH(buf, &msgbuf->bufs.bufs, entry) {
		if (i >= IOV_MAX)
			break;
		if (ibuf_fd_avail(buf)) {
			if (!allowfd) {
				errno = EINVAL;
				return (-1);
			}
			if (i > 0)
				break;
			*fdbuf = buf;
		}
		iov[i].iov_base = ibuf_data(buf);
		iov[i].iov_len = ibuf_size(buf);
		i++;
	}
	return (i);
}

static void
msgbuf_attach_fd(struct msghdr *msg, union fdcmsg *cbuf, int fd)
{
	struct cmsghdr	*cmsg;

	memset(cbuf, 0, sizeof(*cbuf));
	msg->msg_control = cbuf->buf;
	msg->msg_controllen = sizeof(cbuf->buf);
	cmsg = CMSG_FIRSTHDR(msg);
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(fd));
}

/*
 * One sendmsg of as much as is queued.  Returns 0 when the data went or
 * the socket is full (try again when writable), -1 on error.  MSG_NOSIGNAL
 * turns a closed peer into EPIPE instead of a signal.
 */
static int
msgbuf_send(int fd, struct msgbuf *msgbuf, int allowfd)
{
	struct iovec	 iov[IOV_MAX];
	struct msghdr	 msg;
	union fdcmsg	 cbuf;
	struct ibuf	*fdbuf;
	ssize_t		 sent;
	int		 n;

	if ((n = msgbuf_gather(msgbuf, iov, allowfd, &fdbuf)) <= 0)
		return (n);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = n;
	if (fdbuf != NULL)
		msgbuf_attach_fd(&msg, &cbuf, fdbuf->fd);
	while ((sent = sendmsg(fd, &msg, MSG_NOSIGNAL)) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS)
			return (0);
		return (-1);
	}
	/* The descriptor went with the first byte; ours is not needed. */
	if (fdbuf != NULL && sent > 0)
		ibuf_fd_set(fdbuf, -1);
	msgbuf_drain(msgbuf, sent);
	return (0);
}

static void
msgbuf_drain(struct msgbuf *msgbuf, size_t n)
{
	struct ibuf	*buf;

	while ((buf = TAILQ_FIRST(&msgbuf->bufs.bufs)) != NULL) {
		if (n < ibuf_size(buf)) {
			buf->rpos += n;
			return;
		}
		n -= ibuf_size(buf);
		ibuf_free(ibufq_pop(&msgbuf->bufs));
	}
}

/* The channel is broken for good: later reads fail the same way. */
static int
msgbuf_fail(struct msgbuf *msgbuf)
{
	msgbuf->rerrno = errno != 0 ? errno : EBADMSG;
	errno = msgbuf->rerrno;
	return (-1);
}

/*
 * Queue the descriptors recvmsg returned.  Any descriptor that is not
 * allowed, a second one in one read, or a truncated control message
 * means the peer does not follow the protocol; what did arrive is closed.
 */
static int
msgbuf_take_fds(struct msgbuf *msgbuf, struct msghdr *msg, int allowfd)
{
	struct cmsghdr	*cmsg;
	unsigned char	*p;
	int		 bad = 0, fd, got = 0;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		for (p = CMSG_DATA(cmsg); p + sizeof(int) <=
		    (unsigned char *)cmsg + cmsg->cmsg_len; p += sizeof(int)) {
			memcpy(&fd, p, sizeof(fd));
			if (!allowfd || got++ > 0 ||
			    msgbuf->nrfds >= MSGBUF_MAXFDS) {
				close(fd);
				bad = 1;
			} else
				msgbuf->rfds[msgbuf->nrfds++] = fd;
		}
	}
	if (bad || (msg->msg_flags & MSG_CTRUNC)) {
		errno = EBADMSG;
		return (-1);
	}
	return (0);
}

/* Let readhdr size the next message and claim the waiting descriptor. */
static int
msgbuf_start(struct msgbuf *msgbuf, unsigned char *p)
{
	struct ibuf	 hdr;
	int		 fd;

	ibuf_from_buffer(&hdr, p, msgbuf->hdrsize);
	fd = msgbuf->nrfds > 0 ? msgbuf->rfds[0] : -1;
	if ((msgbuf->rpmsg = msgbuf->readhdr(&hdr, msgbuf->rarg, &fd)) == NULL)
		return (-1);
	if (msgbuf->nrfds > 0 && fd == -1) {
		msgbuf->nrfds--;
		memmove(&msgbuf->rfds[0], &msgbuf->rfds[1],
		    msgbuf->nrfds * sizeof(int));
	}
	if (ibuf_left(msgbuf->rpmsg) < msgbuf->hdrsize) {
		ibuf_free(msgbuf->rpmsg);
		msgbuf->rpmsg = NULL;
		errno = EBADMSG;
		return (-1);
	}
	return (0);
}

/* Move the unframed tail to the front and wipe what was consumed. */
static void
msgbuf_compact(struct msgbuf *msgbuf, size_t off)
{
	size_t	 left;

	if (off == 0)
		return;
	left = msgbuf->roff - off;
	memmove(msgbuf->rbuf, msgbuf->rbuf + off, left);
	explicit_bzero(msgbuf->rbuf + left, off);
	msgbuf->roff = left;
}

/*
 * Cut the bytes read into messages.  Afterwards only a partial header
 * may stay in rbuf, so the next read always has room.  A descriptor may
 * wait only for that partial header: if none is left, or two wait, the
 * peer sent a descriptor no message claimed.
 */
static int
msgbuf_frame(struct msgbuf *msgbuf)
{
	size_t	 off = 0, n;

	while (off < msgbuf->roff) {
		if (msgbuf->rpmsg == NULL) {
			if (msgbuf->roff - off < msgbuf->hdrsize)
				break;
			if (msgbuf_start(msgbuf, msgbuf->rbuf + off) == -1)
				return (-1);
		}
		n = MINIMUM(ibuf_left(msgbuf->rpmsg), msgbuf->roff - off);
		if (ibuf_add(msgbuf->rpmsg, msgbuf->rbuf + off, n) == -1)
			return (-1);
		off += n;
		if (ibuf_left(msgbuf->rpmsg) == 0) {
			ibufq_push(&msgbuf->rbufs, msgbuf->rpmsg);
			msgbuf->rpmsg = NULL;
		}
	}
	msgbuf_compact(msgbuf, off);
	if (msgbuf->nrfds > 1 || (msgbuf->nrfds == 1 && msgbuf->roff == 0)) {
		errno = EBADMSG;
		return (-1);
	}
	return (0);
}

/*
 * One recvmsg into the free part of rbuf, then framing.  Returns 1 when
 * data arrived or none was ready, 0 when the peer closed, -1 on error.
 */
static int
msgbuf_recv(int fd, struct msgbuf *msgbuf, int allowfd)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union fdcmsg	 cbuf;
	ssize_t		 n;

	if (msgbuf->rbuf == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if (msgbuf->rerrno != 0) {
		errno = msgbuf->rerrno;
		return (-1);
	}
	memset(&msg, 0, sizeof(msg));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = msgbuf->rbuf + msgbuf->roff;
	iov.iov_len = IBUF_READ_SIZE - msgbuf->roff;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	while ((n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC)) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return (1);
		return (-1);
	}
	if (msgbuf_take_fds(msgbuf, &msg, allowfd) == -1)
		return (msgbuf_fail(msgbuf));
	if (n == 0)
		return (0);
	msgbuf->roff += n;
	if (msgbuf_frame(msgbuf) == -1)
		return (msgbuf_fail(msgbuf));
	return (1);
}

static void
ibufq_init(struct ibufqueue *bufq)
{
	TAILQ_INIT(&bufq->bufs);
	bufq->queued = 0;
}

static void
ibufq_push(struct ibufqueue *bufq, struct ibuf *buf)
{
	/* A buffer over foreign memory must never reach ibuf_free. */
	if (buf->fd == IBUF_FD_ON_STACK)
		abort();
	TAILQ_INSERT_TAIL(&bufq->bufs, buf, entry);
	bufq->queued++;
}

static struct ibuf *
ibufq_pop(struct ibufqueue *bufq)
{
	struct ibuf	*buf;

	if ((buf = TAILQ_FIRST(&bufq->bufs)) == NULL)
		return (NULL);
	TAILQ_REMOVE(&bufq->bufs, buf, entry);
	bufq->queued--;
	return (buf);
}

static void
ibufq_flush(struct ibufqueue *bufq)
{
	struct ibuf	*buf;

	while ((buf = ibufq_pop(bufq)) != NULL)
		ibuf_free(buf);
}
