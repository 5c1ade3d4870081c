/*
 * The imsg layer: messages of a fixed header (struct imsg_hdr, host byte
 * order, len counting the header) and a payload, queued on a msgbuf and
 * framed by imsg_parse_hdr on the way in.  Semantics follow OpenBSD 7.7's
 * libutil so that the same daemon code runs on both systems.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#define IMSG_ALLOW_FDPASS	0x01

/* Lengths stay below 2^31 so imsg_add's int return can hold them. */
#define IMSG_MAXSIZE_LIMIT	0x7fffffffU

static struct ibuf	*imsg_parse_hdr(struct ibuf *, void *, int *);

/*
 * The reader keeps a pointer to imsgbuf for its size limit, so the
 * structure must stay where it is from here until imsgbuf_clear.
 */
int
imsgbuf_init(struct imsgbuf *imsgbuf, int fd)
{
	imsgbuf->w = msgbuf_new_reader(IMSG_HEADER_SIZE, imsg_parse_hdr,
	    imsgbuf);
	if (imsgbuf->w == NULL)
		return (-1);
	imsgbuf->pid = getpid();
	imsgbuf->maxsize = MAX_IMSGSIZE;
	imsgbuf->fd = fd;
	imsgbuf->flags = 0;
	return (0);
}

/* Descriptors may travel both ways; without this, one is an error. */
void
imsgbuf_allow_fdpass(struct imsgbuf *imsgbuf)
{
	imsgbuf->flags |= IMSG_ALLOW_FDPASS;
}

/* The largest payload accepted and sent, the header not counted. */
int
imsgbuf_set_maxsize(struct imsgbuf *imsgbuf, uint32_t max)
{
	if (max > IMSG_MAXSIZE_LIMIT - IMSG_HEADER_SIZE) {
		errno = ERANGE;
		return (-1);
	}
	imsgbuf->maxsize = max + IMSG_HEADER_SIZE;
	return (0);
}

/* Returns 1 when data arrived or none was ready, 0 on EOF, -1 on error. */
int
imsgbuf_read(struct imsgbuf *imsgbuf)
{
	if (imsgbuf->w == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if (imsgbuf->flags & IMSG_ALLOW_FDPASS)
		return (msgbuf_read(imsgbuf->fd, imsgbuf->w));
	return (ibuf_read(imsgbuf->fd, imsgbuf->w));
}

/* Returns 0 when written or the socket is full, -1 on error. */
int
imsgbuf_write(struct imsgbuf *imsgbuf)
{
	if (imsgbuf->w == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if (imsgbuf->flags & IMSG_ALLOW_FDPASS)
		return (msgbuf_write(imsgbuf->fd, imsgbuf->w));
	return (ibuf_write(imsgbuf->fd, imsgbuf->w));
}

/* Blocks on a blocking socket; spins on a non-blocking one. */
int
imsgbuf_flush(struct imsgbuf *imsgbuf)
{
	while (imsgbuf_queuelen(imsgbuf) > 0) {
		if (imsgbuf_write(imsgbuf) == -1)
			return (-1);
	}
	return (0);
}

/* Frees both queues and closes their descriptors, not imsgbuf->fd. */
void
imsgbuf_clear(struct imsgbuf *imsgbuf)
{
	msgbuf_free(imsgbuf->w);
	imsgbuf->w = NULL;
}

uint32_t
imsgbuf_queuelen(struct imsgbuf *imsgbuf)
{
	if (imsgbuf->w == NULL)
		return (0);
	return (msgbuf_queuelen(imsgbuf->w));
}

/* Returns the message's length with header, 0 if none is complete. */
ssize_t
imsg_get(struct imsgbuf *imsgbuf, struct imsg *imsg)
{
	struct imsg	 m;
	struct ibuf	*buf;

	if (imsgbuf->w == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if ((buf = msgbuf_get(imsgbuf->w)) == NULL)
		return (0);
	if (ibuf_get(buf, &m.hdr, sizeof(m.hdr)) == -1) {
		ibuf_free(buf);
		return (-1);
	}
	m.data = ibuf_size(buf) > 0 ? ibuf_data(buf) : NULL;
	m.buf = buf;
	*imsg = m;
	return (ibuf_size(buf) + IMSG_HEADER_SIZE);
}

int
imsg_get_ibuf(struct imsg *imsg, struct ibuf *ibuf)
{
	if (ibuf_size(imsg->buf) == 0) {
		errno = EBADMSG;
		return (-1);
	}
	return (ibuf_get_ibuf(imsg->buf, ibuf_size(imsg->buf), ibuf));
}

/* The whole payload into a fixed struct: any other length is refused. */
int
imsg_get_data(struct imsg *imsg, void *data, size_t len)
{
	if (len == 0) {
		errno = EINVAL;
		return (-1);
	}
	if (ibuf_size(imsg->buf) != len) {
		errno = EBADMSG;
		return (-1);
	}
	return (ibuf_get(imsg->buf, data, len));
}

/* The next len bytes of the payload, for a fixed part before a tail. */
int
imsg_get_buf(struct imsg *imsg, void *data, size_t len)
{
	return (ibuf_get(imsg->buf, data, len));
}

int
imsg_get_strbuf(struct imsg *imsg, char *str, size_t len)
{
	return (ibuf_get_strbuf(imsg->buf, str, len));
}

/* The caller owns the descriptor from here; a second call gives -1. */
int
imsg_get_fd(struct imsg *imsg)
{
	return (ibuf_fd_get(imsg->buf));
}

uint32_t
imsg_get_id(struct imsg *imsg)
{
	return (imsg->hdr.peerid);
}

/* The payload not yet consumed by the imsg_get_* calls. */
size_t
imsg_get_len(struct imsg *imsg)
{
	return (ibuf_size(imsg->buf));
}

pid_t
imsg_get_pid(struct imsg *imsg)
{
	return (imsg->hdr.pid);
}

uint32_t
imsg_get_type(struct imsg *imsg)
{
	return (imsg->hdr.type);
}

/* A descriptor on a channel that may not carry one is refused here. */
static int
imsg_check_fd(struct imsgbuf *imsgbuf, int fd)
{
	if (fd >= 0 && !(imsgbuf->flags & IMSG_ALLOW_FDPASS)) {
		errno = EINVAL;
		return (-1);
	}
	return (0);
}

/*
 * Queue one message; fd (or -1) goes with it and is closed once sent.
 * On failure the caller still owns fd.
 */
int
imsg_compose(struct imsgbuf *imsgbuf, uint32_t type, uint32_t id, pid_t pid,
    int fd, const void *data, size_t datalen)
{
	struct ibuf	*wbuf;

	if (imsg_check_fd(imsgbuf, fd) == -1)
		return (-1);
	if ((wbuf = imsg_create(imsgbuf, type, id, pid, datalen)) == NULL)
		return (-1);
	if (ibuf_add(wbuf, data, datalen) == -1) {
		ibuf_free(wbuf);
		return (-1);
	}
	ibuf_fd_set(wbuf, fd);
	imsg_close(imsgbuf, wbuf);
	return (1);
}

int
imsg_composev(struct imsgbuf *imsgbuf, uint32_t type, uint32_t id, pid_t pid,
    int fd, const struct iovec *iov, int iovcnt)
{
	struct ibuf	*wbuf;
	size_t		 datalen = 0;
	int		 i;

	if (iovcnt < 0 || imsg_check_fd(imsgbuf, fd) == -1) {
		errno = EINVAL;
		return (-1);
	}
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > imsgbuf->maxsize - datalen) {
			errno = ERANGE;
			return (-1);
		}
		datalen += iov[i].iov_len;
	}
	if ((wbuf = imsg_create(imsgbuf, type, id, pid, datalen)) == NULL)
		return (-1);
	for (i = 0; i < iovcnt; i++) {
		if (ibuf_add(wbuf, iov[i].iov_base, iov[i].iov_len) == -1) {
			ibuf_free(wbuf);
			return (-1);
		}
	}
	ibuf_fd_set(wbuf, fd);
	imsg_close(imsgbuf, wbuf);
	return (1);
}

/* Queue a header and then buf, which is consumed on success or failure. */
int
imsg_compose_ibuf(struct imsgbuf *imsgbuf, uint32_t type, uint32_t id,
    pid_t pid, struct ibuf *buf)
{
	struct ibuf	*hdrbuf;

	if (ibuf_fd_avail(buf)) {
		ibuf_free(buf);
		errno = EINVAL;
		return (-1);
	}
	if (ibuf_size(buf) > imsgbuf->maxsize - IMSG_HEADER_SIZE) {
		ibuf_free(buf);
		errno = ERANGE;
		return (-1);
	}
	if ((hdrbuf = imsg_create(imsgbuf, type, id, pid, 0)) == NULL) {
		ibuf_free(buf);
		return (-1);
	}
	(void)ibuf_set_h32(hdrbuf, offsetof(struct imsg_hdr, len),
	    IMSG_HEADER_SIZE + ibuf_size(buf));
	ibuf_close(imsgbuf->w, hdrbuf);
	ibuf_close(imsgbuf->w, buf);
	return (1);
}

/* Send a received message on another channel, without its descriptor. */
int
imsg_forward(struct imsgbuf *imsgbuf, struct imsg *msg)
{
	struct ibuf	*wbuf;
	size_t		 len;

	ibuf_rewind(msg->buf);
	if (ibuf_skip(msg->buf, sizeof(msg->hdr)) == -1)
		return (-1);
	len = ibuf_size(msg->buf);
	if ((wbuf = imsg_create(imsgbuf, msg->hdr.type, msg->hdr.peerid,
	    msg->hdr.pid, len)) == NULL)
		return (-1);
	if (ibuf_add_ibuf(wbuf, msg->buf) == -1) {
		ibuf_free(wbuf);
		return (-1);
	}
	imsg_close(imsgbuf, wbuf);
	return (1);
}

/* Start a message of datalen payload bytes; pid 0 means our own. */
struct ibuf *
imsg_create(struct imsgbuf *imsgbuf, uint32_t type, uint32_t id, pid_t pid,
    size_t datalen)
{
	struct ibuf	*wbuf;
	struct imsg_hdr	 hdr;

	if (imsgbuf->w == NULL) {
		errno = EINVAL;
		return (NULL);
	}
	if (datalen > imsgbuf->maxsize - IMSG_HEADER_SIZE) {
		errno = ERANGE;
		return (NULL);
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.peerid = id;
	hdr.pid = pid != 0 ? pid : imsgbuf->pid;
	wbuf = ibuf_dynamic(datalen + IMSG_HEADER_SIZE, imsgbuf->maxsize);
	if (wbuf == NULL)
		return (NULL);
	if (ibuf_add(wbuf, &hdr, sizeof(hdr)) == -1) {
		ibuf_free(wbuf);
		return (NULL);
	}
	return (wbuf);
}

/* Append to a message; on failure msg is freed, as in OpenBSD. */
int
imsg_add(struct ibuf *msg, const void *data, size_t datalen)
{
	if (ibuf_add(msg, data, datalen) == -1) {
		ibuf_free(msg);
		return (-1);
	}
	return ((int)datalen);
}

/* Fill in length and flags, then queue the message for writing. */
void
imsg_close(struct imsgbuf *imsgbuf, struct ibuf *msg)
{
	uint32_t	 flags = 0;

	if (ibuf_fd_avail(msg))
		flags |= IMSGF_HASFD;
	(void)ibuf_set_h32(msg, offsetof(struct imsg_hdr, len),
	    ibuf_size(msg));
	(void)ibuf_set_h32(msg, offsetof(struct imsg_hdr, flags), flags);
	ibuf_close(imsgbuf->w, msg);
}

/* Frees the payload and closes a descriptor nobody took. */
void
imsg_free(struct imsg *imsg)
{
	ibuf_free(imsg->buf);
	imsg->buf = NULL;
	imsg->data = NULL;
}

/*
 * Size the next incoming message from its header.  Anything outside
 * [IMSG_HEADER_SIZE, maxsize], an unknown flag, or a descriptor promised
 * but not received ends the channel before memory is allocated for it.
 */
static struct ibuf *
imsg_parse_hdr(struct ibuf *buf, void *arg, int *fd)
{
	struct imsgbuf	*imsgbuf = arg;
	struct imsg_hdr	 hdr;
	struct ibuf	*b;

	if (ibuf_get(buf, &hdr, sizeof(hdr)) == -1)
		return (NULL);
	if (hdr.len < IMSG_HEADER_SIZE || hdr.len > imsgbuf->maxsize) {
		errno = ERANGE;
		return (NULL);
	}
	if ((hdr.flags & ~IMSGF_HASFD) != 0 ||
	    ((hdr.flags & IMSGF_HASFD) && *fd == -1)) {
		errno = EBADMSG;
		return (NULL);
	}
	if ((b = ibuf_open(hdr.len)) == NULL)
		return (NULL);
	if (hdr.flags & IMSGF_HASFD) {
		ibuf_fd_set(b, *fd);
		*fd = -1;
	}
	return (b);
}
