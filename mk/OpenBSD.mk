# OpenBSD: imsg comes from libutil, the BSD functions from libc, libevent
# from base; c-ares is replaced by libc's asr.
EVENT_CFLAGS =
EVENT_LIBS =	-levent
CARES_CFLAGS =
CARES_LIBS =
SECCOMP_LIBS =
GSS_CFLAGS !=	$(PKG_CONFIG) --cflags heimdal-gssapi heimdal-krb5
GSS_LIBS !=	$(PKG_CONFIG) --libs heimdal-gssapi heimdal-krb5
MITGSS_CFLAGS =
MITGSS_LIBS =
ATF_CFLAGS !=	$(PKG_CONFIG) --cflags atf-c
ATF_LIBS !=	$(PKG_CONFIG) --libs atf-c
OS_CFLAGS =	-I/usr/local/include
OS_LIBS =	-lutil -levent
IMSG_OBJS =
SANDBOX_OBJS =	common/sandbox_pledge.o
