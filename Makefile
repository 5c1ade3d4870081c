# sockd: a privilege-separated SOCKS 5 server with GSS-API (RFC 1961).
#
# Plain POSIX make plus "!=" and "include", so that GNU make and BSD make
# (bmake on Linux, make on OpenBSD) both build it.  What differs between
# systems lives in mk/<uname>.mk; each directory lists its own objects in
# its Makefile.inc.

PREFIX ?=	/usr/local
SBINDIR ?=	$(PREFIX)/sbin
BINDIR ?=	$(PREFIX)/bin
LIBEXECDIR ?=	$(PREFIX)/libexec/sockd
MANDIR ?=	$(PREFIX)/share/man
SYSCONFDIR ?=	/etc
DESTDIR ?=

CC ?=		cc
YACC ?=		yacc
PKG_CONFIG ?=	pkg-config
OPT ?=		-O2 -g
WARN ?=		-Wall -Wextra -Werror
SAN ?=

OS !=		uname -s
include mk/$(OS).mk

# CFLAGS_BASE has no GSS-API headers so that the client can be built once
# more against MIT's; everything else compiles with Heimdal's.  Which
# program links a GSS-API library is decided at link time, per program.
CFLAGS_BASE =	-std=gnu11 $(OPT) $(WARN) $(SAN) -Icommon $(OS_CFLAGS) \
		-DSOCKD_LIBEXECDIR=\"$(LIBEXECDIR)\" \
		-DSOCKD_SYSCONFDIR=\"$(SYSCONFDIR)\" $(CFLAGS)
CFLAGS_ALL =	$(CFLAGS_BASE) $(GSS_CFLAGS) $(CARES_CFLAGS)
LDFLAGS_ALL =	$(SAN) $(LDFLAGS)

PROGS =
TESTPROGS =
CLEANFILES =

all: build

include common/Makefile.inc
include sockd/Makefile.inc
include authd/Makefile.inc
include relayd/Makefile.inc
include client/Makefile.inc
include tests/Makefile.inc
include tests/fuzz/Makefile.inc

build: $(PROGS) $(TESTPROGS)

.SUFFIXES: .c .o
.c.o:
	$(CC) $(CFLAGS_ALL) -c $< -o $@

# The whole suite: unit tests (atf-c) and integration tests (atf-sh) with
# a real Heimdal KDC on 127.0.0.1, run by kyua.  See README.md.  Both
# targets first install missing Debian packages (etc/deps.sh says which)
# and build in a fresh make, which sees the pkg-config results.
check:
	sh etc/deps.sh
	$(MAKE) build
	cd tests && kyua test

demo:
	sh etc/deps.sh
	$(MAKE) build
	sh tests/demo.sh

install: build
	sh etc/install.sh "$(DESTDIR)" "$(SBINDIR)" "$(BINDIR)" \
	    "$(LIBEXECDIR)" "$(MANDIR)" "$(SYSCONFDIR)"

clean:
	rm -f $(PROGS) $(TESTPROGS) $(CLEANFILES) */*.o */*/*.o

.PHONY: all build check demo install clean
