# Linux: libbsd supplies the BSD functions (strlcpy, strtonum, freezero,
# setproctitle, vis) and our own imsg implementation lives in common/.
BSD_CFLAGS !=	$(PKG_CONFIG) --cflags libbsd-overlay
BSD_LIBS !=	$(PKG_CONFIG) --libs libbsd-overlay
EVENT_CFLAGS !=	$(PKG_CONFIG) --cflags libevent_core
EVENT_LIBS !=	$(PKG_CONFIG) --libs libevent_core
CARES_CFLAGS !=	$(PKG_CONFIG) --cflags libcares
CARES_LIBS !=	$(PKG_CONFIG) --libs libcares
SECCOMP_LIBS !=	$(PKG_CONFIG) --libs libseccomp
GSS_CFLAGS !=	$(PKG_CONFIG) --cflags heimdal-gssapi heimdal-krb5
GSS_LIBS !=	$(PKG_CONFIG) --libs heimdal-gssapi heimdal-krb5
MITGSS_CFLAGS != $(PKG_CONFIG) --cflags mit-krb5-gssapi
MITGSS_LIBS !=	$(PKG_CONFIG) --libs mit-krb5-gssapi
ATF_CFLAGS !=	$(PKG_CONFIG) --cflags atf-c
ATF_LIBS !=	$(PKG_CONFIG) --libs atf-c
OS_CFLAGS =	-D_GNU_SOURCE -DLIBBSD_OPENBSD_VIS $(BSD_CFLAGS) $(EVENT_CFLAGS)
OS_LIBS =	$(BSD_LIBS) $(EVENT_LIBS)
IMSG_OBJS =	common/imsg.o common/imsg-buffer.o
SANDBOX_OBJS =	common/sandbox_seccomp.o common/sandbox_landlock.o
