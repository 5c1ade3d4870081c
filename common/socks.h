/*
 * RFC 1928 messages: encoding and decoding only, no I/O and no policy, so
 * that the server's front end and relays and the client share one parser.
 * Every decoder takes what has been read so far and answers: the length of
 * a complete message, 0 when more bytes are needed, or -1 when the bytes
 * can never become a valid message.
 */

#ifndef SOCKD_SOCKS_H
#define SOCKD_SOCKS_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#define SOCKS_VERSION		5

#define SOCKS_CMD_CONNECT	0x01
#define SOCKS_CMD_BIND		0x02
#define SOCKS_CMD_UDPASSOCIATE	0x03

#define SOCKS_ATYP_IPV4		0x01
#define SOCKS_ATYP_DOMAIN	0x03
#define SOCKS_ATYP_IPV6		0x04

#define SOCKS_METHOD_NONE	0x00
#define SOCKS_METHOD_GSSAPI	0x01
#define SOCKS_METHOD_NOACCEPT	0xff

#define SOCKS_REP_SUCCEEDED	0x00
#define SOCKS_REP_FAILURE	0x01	/* general SOCKS server failure */
#define SOCKS_REP_NOTALLOWED	0x02	/* connection not allowed by ruleset */
#define SOCKS_REP_NETUNREACH	0x03
#define SOCKS_REP_HOSTUNREACH	0x04
#define SOCKS_REP_REFUSED	0x05
#define SOCKS_REP_TTLEXPIRED	0x06
#define SOCKS_REP_CMDUNSUPP	0x07
#define SOCKS_REP_ATYPUNSUPP	0x08

/* Longest request or reply: 4 + 1 + 255 + 2. */
#define SOCKS_MSG_MAX		262
/* Longest greeting: 2 + 255. */
#define SOCKS_GREETING_MAX	257
/*
 * Room for socks_addr_str() of any address: a domain of 255 bytes each
 * escaped to at most 4 characters, ":65535" and the NUL.
 */
#define SOCKS_ADDRSTRLEN	(255 * 4 + 6 + 1)

struct socks_addr {
	uint8_t		 sa_atyp;
	union {
		struct in_addr	 v4;
		struct in6_addr	 v6;
	}		 sa_ip;
	char		 sa_domain[256];	/* NUL-terminated */
	in_port_t	 sa_port;		/* host byte order */
};

struct socks_req {
	uint8_t			 sr_cmd;
	struct socks_addr	 sr_addr;
};

/*
 * Greeting: VER NMETHODS METHODS.  On success *nmethods methods are copied
 * to methods (room for 255).
 */
ssize_t		 socks_greeting_parse(const uint8_t *, size_t, uint8_t *,
		    size_t *);
size_t		 socks_greeting_encode(uint8_t *, size_t, const uint8_t *,
		    size_t);

/*
 * Method selection reply: VER METHOD.  Returns 2, 0 or -1 (VER is not 5);
 * any METHOD value is returned, SOCKS_METHOD_NOACCEPT included.
 */
ssize_t		 socks_method_parse(const uint8_t *, size_t, uint8_t *);
size_t		 socks_method_encode(uint8_t *, size_t, uint8_t);

/*
 * Request: VER CMD RSV ATYP DST.ADDR DST.PORT.  On -1, *rep holds the reply
 * code the server should send (SOCKS_REP_ATYPUNSUPP, SOCKS_REP_CMDUNSUPP or
 * SOCKS_REP_FAILURE); a domain name with a NUL byte is malformed.
 * VER other than 5 and RSV other than 0 are malformed (SOCKS_REP_FAILURE),
 * as is a domain of length 0.  An unknown CMD is reported only once the
 * whole request is there, and then req is filled in all the same so that
 * the server can log what was asked for.  *rep is SOCKS_REP_SUCCEEDED on
 * success; rep may be NULL.
 */
ssize_t		 socks_request_parse(const uint8_t *, size_t,
		    struct socks_req *, uint8_t *);
size_t		 socks_request_encode(uint8_t *, size_t, uint8_t,
		    const struct socks_addr *);

/*
 * Reply: VER REP RSV ATYP BND.ADDR BND.PORT.  Any REP is returned; VER
 * other than 5, RSV other than 0 or an unknown ATYP is malformed.  The
 * encoder sends 0.0.0.0:0 when the address is NULL.  Every encoder
 * returns the length written, or 0 if it does not fit or the address
 * cannot be encoded.
 */
ssize_t		 socks_reply_parse(const uint8_t *, size_t, uint8_t *,
		    struct socks_addr *);
size_t		 socks_reply_encode(uint8_t *, size_t, uint8_t,
		    const struct socks_addr *);

/*
 * UDP header: RSV(2) FRAG ATYP DST.ADDR DST.PORT, then the data.  The
 * parser returns the header's length; a datagram is whole, so 0 means it
 * is truncated.  The encoder writes FRAG 0.
 */
ssize_t		 socks_udp_parse(const uint8_t *, size_t, uint8_t *,
		    struct socks_addr *);
size_t		 socks_udp_encode(uint8_t *, size_t, const struct socks_addr *);

/* Conversions between socks_addr and sockaddr (IPv4/IPv6 only). */
int		 socks_addr_from_sockaddr(struct socks_addr *,
		    const struct sockaddr *);
int		 socks_addr_to_sockaddr(const struct socks_addr *,
		    struct sockaddr_storage *, socklen_t *);
/* Printable "host:port" / "[v6]:port", the domain escaped with vis. */
const char	*socks_addr_str(const struct socks_addr *, char *, size_t);
/* The reply code in words, as a person reads it. */
const char	*socks_rep_str(uint8_t);

#endif /* SOCKD_SOCKS_H */
