/*
 * The keytab parser: real keytabs made by Heimdal's kadmin and ktutil,
 * compared entry by entry with what Heimdal's own FILE: keytab code reads
 * from the same file; and damaged ones, which must be refused with a
 * message and without a crash.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>
#include <krb5.h>

#include "auth.h"
#include "krbtest.h"

#define NAME	"/etc/sockd.keytab"

/* A keytab writer of our own, for versions and damage kadmin won't make. */
struct wbuf {
	uint8_t	 w_b[16384];
	size_t	 w_n;
	int	 w_le;		/* version 1 on a little-endian host */
};

static void
put8(struct wbuf *w, uint8_t v)
{
	ATF_REQUIRE(w->w_n < sizeof(w->w_b));
	w->w_b[w->w_n++] = v;
}

static void
put16(struct wbuf *w, uint16_t v)
{
	if (w->w_le) {
		put8(w, v & 0xff);
		put8(w, v >> 8);
	} else {
		put8(w, v >> 8);
		put8(w, v & 0xff);
	}
}

static void
put32(struct wbuf *w, uint32_t v)
{
	if (w->w_le) {
		put16(w, v & 0xffff);
		put16(w, v >> 16);
	} else {
		put16(w, v >> 16);
		put16(w, v & 0xffff);
	}
}

static void
putbytes(struct wbuf *w, const void *p, size_t n)
{
	ATF_REQUIRE(n <= sizeof(w->w_b) - w->w_n);
	memcpy(w->w_b + w->w_n, p, n);
	w->w_n += n;
}

static void
putstr(struct wbuf *w, const char *s)
{
	put16(w, strlen(s));
	putbytes(w, s, strlen(s));
}

static int
host_le(void)
{
	uint16_t	 one = 1;

	return (*(uint8_t *)&one == 1);
}

static void
wbuf_init(struct wbuf *w, int version)
{
	memset(w, 0, sizeof(*w));
	put8(w, 5);
	put8(w, version);
	w->w_le = version == 1 && host_le();
}

/* Appends the body b as one entry: its size, then its bytes. */
static void
put_entry(struct wbuf *w, const struct wbuf *b)
{
	put32(w, b->w_n);
	putbytes(w, b->w_b, b->w_n);
}

/* An entry of a service principal svc/host@realm with the given key. */
static void
put_simple(struct wbuf *w, int version, const char *svc, const char *host,
    int enctype, const void *key, size_t keylen, uint32_t kvno32)
{
	struct wbuf	 b;

	memset(&b, 0, sizeof(b));
	b.w_le = w->w_le;
	put16(&b, version == 1 ? 3 : 2);
	putstr(&b, TK_REALM);
	putstr(&b, svc);
	putstr(&b, host);
	if (version == 2)
		put32(&b, KRB5_NT_SRV_HST);
	put32(&b, 1700000000);
	put8(&b, 1);
	put16(&b, enctype);
	put16(&b, keylen);
	putbytes(&b, key, keylen);
	if (kvno32 != UINT32_MAX)
		put32(&b, kvno32);
	put_entry(w, &b);
}

/* An entry as Heimdal's FILE: code read it, written back in version v. */
static void
put_krb5_entry(struct wbuf *w, krb5_context ctx, int version,
    const krb5_keytab_entry *e)
{
	struct wbuf	 b;
	unsigned int	 i, n;

	memset(&b, 0, sizeof(b));
	b.w_le = w->w_le;
	n = krb5_principal_get_num_comp(ctx, e->principal);
	put16(&b, version == 1 ? n + 1 : n);
	putstr(&b, krb5_principal_get_realm(ctx, e->principal));
	for (i = 0; i < n; i++)
		putstr(&b, krb5_principal_get_comp_string(ctx, e->principal,
		    i));
	if (version == 2)
		put32(&b, krb5_principal_get_type(ctx, e->principal));
	put32(&b, e->timestamp);
	put8(&b, e->vno & 0xff);
	put16(&b, e->keyblock.keytype);
	put16(&b, e->keyblock.keyvalue.length);
	putbytes(&b, e->keyblock.keyvalue.data, e->keyblock.keyvalue.length);
	put32(&b, e->vno);
	put_entry(w, &b);
}

static krb5_context
context(void)
{
	krb5_context	 ctx;

	ATF_REQUIRE(krb5_init_context(&ctx) == 0);
	return (ctx);
}

static int
count_entries(krb5_context ctx, krb5_keytab kt)
{
	krb5_kt_cursor		 cur;
	krb5_keytab_entry	 e;
	int			 n = 0;

	if (krb5_kt_start_seq_get(ctx, kt, &cur) != 0)
		return (0);
	while (krb5_kt_next_entry(ctx, kt, &e, &cur) == 0) {
		krb5_kt_free_entry(ctx, &e);
		n++;
	}
	(void)krb5_kt_end_seq_get(ctx, kt, &cur);
	return (n);
}

/*
 * Every entry Heimdal reads from the file must be in mem with the same
 * key (not timestamp: krb5_kt_add_entry() stamps entries with the time
 * of the call), except weak ones when they were to be left out, which
 * must be absent.  Version 1 has no name types: check_type 0 compares
 * such a load with a version 2 file.  Returns how many were compared.
 */
static int
compare_with_file(krb5_context ctx, const char *path, krb5_keytab mem,
    int weak_loaded, int check_type)
{
	krb5_keytab		 file;
	krb5_kt_cursor		 cur;
	krb5_keytab_entry	 e, m;
	char			 name[PATH_MAX + 8];
	int			 n = 0, ret;

	(void)snprintf(name, sizeof(name), "FILE:%s", path);
	ATF_REQUIRE(krb5_kt_resolve(ctx, name, &file) == 0);
	ATF_REQUIRE(krb5_kt_start_seq_get(ctx, file, &cur) == 0);
	while (krb5_kt_next_entry(ctx, file, &e, &cur) == 0) {
		ret = krb5_kt_get_entry(ctx, mem, e.principal, e.vno,
		    e.keyblock.keytype, &m);
		if (!weak_loaded && auth_enctype_weak(e.keyblock.keytype)) {
			ATF_CHECK_MSG(ret != 0, "weak enctype %d loaded",
			    e.keyblock.keytype);
			if (ret == 0)
				krb5_kt_free_entry(ctx, &m);
		} else {
			ATF_REQUIRE_MSG(ret == 0, "enctype %d kvno %u missing",
			    e.keyblock.keytype, e.vno);
			ATF_CHECK(krb5_principal_compare(ctx, e.principal,
			    m.principal));
			if (check_type)
				ATF_CHECK_EQ(krb5_principal_get_type(ctx,
				    e.principal), krb5_principal_get_type(ctx,
				    m.principal));
			ATF_CHECK_EQ(e.vno, m.vno);
			ATF_CHECK_EQ(e.keyblock.keyvalue.length,
			    m.keyblock.keyvalue.length);
			ATF_CHECK(memcmp(e.keyblock.keyvalue.data,
			    m.keyblock.keyvalue.data,
			    e.keyblock.keyvalue.length) == 0);
			krb5_kt_free_entry(ctx, &m);
			n++;
		}
		krb5_kt_free_entry(ctx, &e);
	}
	(void)krb5_kt_end_seq_get(ctx, file, &cur);
	(void)krb5_kt_close(ctx, file);
	return (n);
}

/* Loads buf and expects a refusal whose message contains want. */
static void
expect_refused(krb5_context ctx, const void *buf, size_t len,
    const char *want)
{
	krb5_keytab	 kt = NULL;
	char		 err[512] = "";

	ATF_CHECK_EQ_MSG(auth_keytab_load(ctx, buf, len, NAME, 1, &kt, err,
	    sizeof(err)), -1, "accepted, wanted \"%s\"", want);
	ATF_CHECK(kt == NULL);
	ATF_CHECK_MSG(strncmp(err, "keytab " NAME ": ",
	    strlen("keytab " NAME ": ")) == 0, "message \"%s\"", err);
	ATF_CHECK_MSG(strstr(err, want) != NULL, "\"%s\" lacks \"%s\"",
	    err, want);
	if (kt != NULL)
		auth_keytab_free(ctx, kt);
}

ATF_TC(real_keytab);
ATF_TC_HEAD(real_keytab, tc)
{
	atf_tc_set_md_var(tc, "descr", "a kadmin keytab: strong keys only, "
	    "or all with allow_weak, equal to Heimdal's reading");
	atf_tc_set_md_var(tc, "require.progs", "kadmin");
}
ATF_TC_BODY(real_keytab, tc)
{
	struct tk_realm	 r;
	krb5_context	 ctx;
	krb5_keytab	 kt;
	uint8_t		*buf;
	size_t		 len;
	char		 err[512];

	tk_realm_create(&r);
	ctx = context();
	buf = tk_readfile(r.tk_keytab, &len);

	/* aes256 loaded; des3 and arcfour left out and counted. */
	ATF_REQUIRE_MSG(auth_keytab_load(ctx, buf, len, NAME, 0, &kt, err,
	    sizeof(err)) == 2, "%s", err);
	ATF_CHECK_EQ(count_entries(ctx, kt), 1);
	ATF_CHECK_EQ(compare_with_file(ctx, r.tk_keytab, kt, 0, 1), 1);
	auth_keytab_free(ctx, kt);

	ATF_REQUIRE_MSG(auth_keytab_load(ctx, buf, len, NAME, 1, &kt, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(count_entries(ctx, kt), 3);
	ATF_CHECK_EQ(compare_with_file(ctx, r.tk_keytab, kt, 1, 1), 3);
	auth_keytab_free(ctx, kt);

	/* Two principals, two key versions. */
	tk_kadmin(&r, "add", "--random-key", "--use-defaults",
	    "host/host.test@" TK_REALM, NULL);
	tk_kadmin(&r, "ext_keytab", "-k", r.tk_keytab,
	    "host/host.test@" TK_REALM, NULL);
	tk_kadmin(&r, "cpw", "--random-key", TK_SERVICE, NULL);
	tk_kadmin(&r, "ext_keytab", "-k", r.tk_keytab, TK_SERVICE, NULL);
	free(buf);
	buf = tk_readfile(r.tk_keytab, &len);
	ATF_REQUIRE_MSG(auth_keytab_load(ctx, buf, len, NAME, 0, &kt, err,
	    sizeof(err)) == 6, "%s", err);
	ATF_CHECK_EQ(count_entries(ctx, kt), 3);
	ATF_CHECK_EQ(compare_with_file(ctx, r.tk_keytab, kt, 0, 1), 3);
	auth_keytab_free(ctx, kt);
	free(buf);
	krb5_free_context(ctx);
}

ATF_TC(version1);
ATF_TC_HEAD(version1, tc)
{
	atf_tc_set_md_var(tc, "descr", "a version 1 keytab (host byte "
	    "order, realm counted) reads as Heimdal reads it");
	atf_tc_set_md_var(tc, "require.progs", "kadmin");
}
ATF_TC_BODY(version1, tc)
{
	struct tk_realm		 r;
	struct wbuf		 w;
	krb5_context		 ctx;
	krb5_keytab		 file, kt;
	krb5_kt_cursor		 cur;
	krb5_keytab_entry	 e;
	char			 name[PATH_MAX + 8], v1[PATH_MAX + 16];
	char			 err[512];

	tk_realm_create(&r);
	ctx = context();
	(void)snprintf(name, sizeof(name), "FILE:%s", r.tk_keytab);
	ATF_REQUIRE(krb5_kt_resolve(ctx, name, &file) == 0);
	wbuf_init(&w, 1);
	ATF_REQUIRE(krb5_kt_start_seq_get(ctx, file, &cur) == 0);
	while (krb5_kt_next_entry(ctx, file, &e, &cur) == 0) {
		put_krb5_entry(&w, ctx, 1, &e);
		krb5_kt_free_entry(ctx, &e);
	}
	(void)krb5_kt_end_seq_get(ctx, file, &cur);
	(void)krb5_kt_close(ctx, file);

	/* Heimdal reads what we wrote as the same keys, ... */
	(void)snprintf(v1, sizeof(v1), "%s/v1.keytab", r.tk_dir);
	tk_writefile(v1, w.w_b, w.w_n);
	ATF_REQUIRE_MSG(auth_keytab_load(ctx, w.w_b, w.w_n, NAME, 1, &kt,
	    err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(count_entries(ctx, kt), 3);
	/* ... and so do we. */
	ATF_CHECK_EQ(compare_with_file(ctx, v1, kt, 1, 1), 3);
	ATF_CHECK_EQ(compare_with_file(ctx, r.tk_keytab, kt, 1, 0), 3);
	auth_keytab_free(ctx, kt);
	krb5_free_context(ctx);
}

/* Entry boundaries of a well-formed keytab: where a cut leaves one. */
static int
is_boundary(const uint8_t *buf, size_t len, size_t cut)
{
	size_t		 off = 2;
	uint32_t	 size;

	while (off + 4 <= len) {
		size = (uint32_t)buf[off] << 24 | buf[off + 1] << 16 |
		    buf[off + 2] << 8 | buf[off + 3];
		off += 4 + size;
		if (off == cut)
			return (1);
	}
	return (0);
}

ATF_TC(every_truncation);
ATF_TC_HEAD(every_truncation, tc)
{
	atf_tc_set_md_var(tc, "descr", "a real keytab cut at every length: "
	    "refused unless the cut falls between entries");
	atf_tc_set_md_var(tc, "require.progs", "kadmin");
}
ATF_TC_BODY(every_truncation, tc)
{
	struct tk_realm	 r;
	krb5_context	 ctx;
	krb5_keytab	 kt;
	uint8_t		*buf, *cut;
	size_t		 len, n;
	char		 err[512];
	int		 ret, ok = 0;

	tk_realm_create(&r);
	ctx = context();
	buf = tk_readfile(r.tk_keytab, &len);
	for (n = 0; n < len; n++) {
		/* An exact-size copy, so an overread leaves the buffer. */
		ATF_REQUIRE((cut = malloc(n > 0 ? n : 1)) != NULL);
		memcpy(cut, buf, n);
		err[0] = '\0';
		ret = auth_keytab_load(ctx, cut, n, NAME, 1, &kt, err,
		    sizeof(err));
		if (n > 2 && is_boundary(buf, len, n)) {
			ATF_CHECK_MSG(ret == 0, "cut at %zu: %s", n, err);
			if (ret == 0) {
				auth_keytab_free(ctx, kt);
				ok++;
			}
		} else {
			ATF_CHECK_MSG(ret == -1, "cut at %zu accepted", n);
			ATF_CHECK_MSG(strncmp(err, "keytab " NAME ": ",
			    strlen("keytab " NAME ": ")) == 0,
			    "cut at %zu: \"%s\"", n, err);
		}
		free(cut);
	}
	/* Cuts after the first and the second of three entries. */
	ATF_CHECK_EQ(ok, 2);
	free(buf);
	krb5_free_context(ctx);
}

ATF_TC_WITHOUT_HEAD(malformed);
ATF_TC_BODY(malformed, tc)
{
	static const uint8_t	 key[32] = { 1, 2, 3 };
	struct wbuf		 w, b;
	krb5_context		 ctx;

	ctx = context();
	expect_refused(ctx, "", 0, "truncated header");
	expect_refused(ctx, "\x05", 1, "truncated header");
	expect_refused(ctx, "\x05\x03", 2, "unknown version 0x0503");
	expect_refused(ctx, "\x04\x02", 2, "unknown version 0x0402");
	expect_refused(ctx, "\x05\x02", 2, "no keys");
	expect_refused(ctx, "\x05\x02\x00\x00\x00\x00", 6, "no keys");
	expect_refused(ctx, "\x05\x02\x00\x00", 4,
	    "truncated entry at offset 2: entry size");
	expect_refused(ctx, "\x05\x02\x7f\xff\xff\xff", 6,
	    "truncated entry at offset 2: size 2147483647, only 0 bytes");
	expect_refused(ctx, "\x05\x02\x00\x00\x00\x08\x00\x02", 8,
	    "truncated entry at offset 2: size 8, only 2 bytes");
	/* Holes: larger than the rest, and the most negative size. */
	expect_refused(ctx, "\x05\x02\xff\xff\xff\xf0\x00\x00", 8,
	    "hole at offset 2 (16 bytes) runs past the end");
	expect_refused(ctx, "\x05\x02\x80\x00\x00\x00", 6,
	    "hole at offset 2 (2147483648 bytes)");

	/* Component counts: none, too many, negative. */
	wbuf_init(&w, 2);
	put32(&w, 2);
	put16(&w, 0);
	expect_refused(ctx, w.w_b, w.w_n, "bad component count 0");
	wbuf_init(&w, 2);
	put32(&w, 2);
	put16(&w, 0x7fff);
	expect_refused(ctx, w.w_b, w.w_n, "bad component count 32767");
	wbuf_init(&w, 2);
	put32(&w, 2);
	put16(&w, 0xffff);
	expect_refused(ctx, w.w_b, w.w_n, "bad component count -1");

	/* Lengths running past the entry (which ends before the file). */
	wbuf_init(&w, 2);
	put32(&w, 4);
	put16(&w, 2);
	put16(&w, 0xffff);
	put32(&w, 0);
	expect_refused(ctx, w.w_b, w.w_n, "realm at offset 10 needs 65535 "
	    "bytes, the entry has 0 left");
	wbuf_init(&w, 2);
	memset(&b, 0, sizeof(b));
	put16(&b, 2);
	putstr(&b, TK_REALM);
	putstr(&b, "rcmd");
	put16(&b, 300);
	putbytes(&b, "host.test", 9);
	put_entry(&w, &b);
	expect_refused(ctx, w.w_b, w.w_n, "principal component at offset");
	wbuf_init(&w, 2);
	memset(&b, 0, sizeof(b));
	put16(&b, 2);
	putstr(&b, TK_REALM);
	putstr(&b, "rcmd");
	putstr(&b, "host.test");
	put32(&b, 3);
	put32(&b, 0);
	put8(&b, 1);
	put16(&b, ETYPE_AES256_CTS_HMAC_SHA1_96);
	put16(&b, 32);
	putbytes(&b, key, 16);
	put_entry(&w, &b);
	expect_refused(ctx, w.w_b, w.w_n, "key at offset");

	/* Principal strings with NUL bytes, an empty realm, no key. */
	wbuf_init(&w, 2);
	memset(&b, 0, sizeof(b));
	put16(&b, 2);
	putstr(&b, TK_REALM);
	putstr(&b, "rcmd");
	put16(&b, 10);
	putbytes(&b, "host\0.test", 10);
	put_entry(&w, &b);
	expect_refused(ctx, w.w_b, w.w_n, "principal component contains a "
	    "NUL byte");
	wbuf_init(&w, 2);
	memset(&b, 0, sizeof(b));
	put16(&b, 1);
	putstr(&b, "");
	putstr(&b, "rcmd");
	put_entry(&w, &b);
	expect_refused(ctx, w.w_b, w.w_n, "empty realm");
	wbuf_init(&w, 2);
	put_simple(&w, 2, "rcmd", "host.test", ETYPE_AES256_CTS_HMAC_SHA1_96,
	    key, 0, UINT32_MAX);
	expect_refused(ctx, w.w_b, w.w_n, "empty key");

	/* A good entry, then a bad one: nothing is loaded. */
	wbuf_init(&w, 2);
	put_simple(&w, 2, "rcmd", "host.test", ETYPE_AES256_CTS_HMAC_SHA1_96,
	    key, sizeof(key), UINT32_MAX);
	put32(&w, 100);
	expect_refused(ctx, w.w_b, w.w_n, "truncated entry at offset");
	krb5_free_context(ctx);
}

/* A fixed-seed xorshift, so that a failure can be replayed. */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return (*s);
}

ATF_TC_WITHOUT_HEAD(garbage);
ATF_TC_BODY(garbage, tc)
{
	krb5_context	 ctx;
	krb5_keytab	 kt;
	uint8_t		*buf;
	uint32_t	 seed = 0x5eed1961;
	size_t		 len, i;
	char		 err[512];
	int		 round, accepted = 0;

	ctx = context();
	for (round = 0; round < 20000; round++) {
		len = rnd(&seed) % 700;
		ATF_REQUIRE((buf = malloc(len + 1)) != NULL);
		for (i = 0; i < len; i++)
			buf[i] = rnd(&seed);
		/* Mostly a valid header, so the entries get parsed. */
		if (len >= 2 && round % 8 != 0) {
			buf[0] = 5;
			buf[1] = 1 + round % 2;
		}
		/* Small sizes and counts, to get deeper into entries. */
		if (len >= 8 && round % 3 == 0) {
			buf[2] = buf[3] = 0;
			buf[4] %= 3;
			buf[6] = 0;
			buf[7] %= 4;
		}
		if (auth_keytab_load(ctx, buf, len, NAME, 1, &kt, err,
		    sizeof(err)) != -1) {
			accepted++;
			auth_keytab_free(ctx, kt);
		}
		free(buf);
	}
	ATF_CHECK_EQ(accepted, 0);
	krb5_free_context(ctx);
}

ATF_TC(holes);
ATF_TC_HEAD(holes, tc)
{
	atf_tc_set_md_var(tc, "descr", "holes before, between and after "
	    "entries are skipped; a zero size ends the list");
	atf_tc_set_md_var(tc, "require.progs", "kadmin");
}
ATF_TC_BODY(holes, tc)
{
	struct tk_realm	 r;
	struct wbuf	 w;
	krb5_context	 ctx;
	krb5_keytab	 kt;
	uint8_t		*buf;
	size_t		 len, first;
	char		 err[512];

	tk_realm_create(&r);
	ctx = context();
	buf = tk_readfile(r.tk_keytab, &len);
	first = 2 + 4 + ((size_t)buf[4] << 8 | buf[5]);

	wbuf_init(&w, 2);
	put32(&w, (uint32_t)-7);
	putbytes(&w, "\xff\xff\xff\xff\xff\xff\xff", 7);
	putbytes(&w, buf + 2, first - 2);
	put32(&w, (uint32_t)-1);
	put8(&w, 0x42);
	putbytes(&w, buf + first, len - first);
	put32(&w, (uint32_t)-4);
	put32(&w, 0xdeadbeef);
	ATF_REQUIRE_MSG(auth_keytab_load(ctx, w.w_b, w.w_n, NAME, 1, &kt, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(compare_with_file(ctx, r.tk_keytab, kt, 1, 1), 3);
	ATF_CHECK_EQ(count_entries(ctx, kt), 3);
	auth_keytab_free(ctx, kt);

	/* A zero size, then anything: the end (MIT's reading). */
	wbuf_init(&w, 2);
	putbytes(&w, buf + 2, len - 2);
	put32(&w, 0);
	putbytes(&w, "\x7f\xff\xff\xff junk", 9);
	ATF_REQUIRE_MSG(auth_keytab_load(ctx, w.w_b, w.w_n, NAME, 1, &kt, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(count_entries(ctx, kt), 3);
	auth_keytab_free(ctx, kt);
	free(buf);
	krb5_free_context(ctx);
}

ATF_TC(weak_only);
ATF_TC_HEAD(weak_only, tc)
{
	atf_tc_set_md_var(tc, "descr", "a keytab with only weak keys is "
	    "refused unless allowed");
	atf_tc_set_md_var(tc, "require.progs", "ktutil");
}
ATF_TC_BODY(weak_only, tc)
{
	static const uint8_t	 key8[8] = { 0x13, 0x34, 0x57, 0x79, 0x9b,
				    0xbc, 0xdf, 0xf1 };
	static const uint8_t	 key16[16] = { 0x42 };
	const char		*argv[] = { "ktutil", "-k", "weak.keytab",
				    "add", "-p", TK_SERVICE, "-V", "3", "-e",
				    "arcfour-hmac-md5", "-w", "secret", NULL };
	struct wbuf		 w;
	krb5_context		 ctx;
	krb5_keytab		 kt;
	uint8_t			*buf;
	size_t			 len;
	char			 err[512];

	/* RC4, written by Heimdal's ktutil. */
	tk_run(argv);
	ctx = context();
	buf = tk_readfile("weak.keytab", &len);
	ATF_CHECK_EQ(auth_keytab_load(ctx, buf, len, NAME, 0, &kt, err,
	    sizeof(err)), -1);
	ATF_CHECK_MSG(strstr(err, "only weak keys") != NULL, "%s", err);
	ATF_REQUIRE_MSG(auth_keytab_load(ctx, buf, len, NAME, 1, &kt, err,
	    sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(count_entries(ctx, kt), 1);
	ATF_CHECK_EQ(compare_with_file(ctx, "weak.keytab", kt, 1, 1), 1);
	auth_keytab_free(ctx, kt);
	free(buf);

	/* DES, 3DES and an enctype nobody knows, written by us. */
	wbuf_init(&w, 2);
	put_simple(&w, 2, "rcmd", "host.test", ETYPE_DES_CBC_CRC, key8,
	    sizeof(key8), UINT32_MAX);
	put_simple(&w, 2, "rcmd", "host.test", ETYPE_DES3_CBC_SHA1, key16,
	    sizeof(key16), UINT32_MAX);
	put_simple(&w, 2, "rcmd", "host.test", 99, key16, sizeof(key16),
	    UINT32_MAX);
	ATF_CHECK_EQ(auth_keytab_load(ctx, w.w_b, w.w_n, NAME, 0, &kt, err,
	    sizeof(err)), -1);
	ATF_CHECK_MSG(strstr(err, "only weak keys") != NULL, "%s", err);
	ATF_REQUIRE_MSG(auth_keytab_load(ctx, w.w_b, w.w_n, NAME, 1, &kt,
	    err, sizeof(err)) == 0, "%s", err);
	ATF_CHECK_EQ(count_entries(ctx, kt), 3);
	auth_keytab_free(ctx, kt);
	krb5_free_context(ctx);
}

ATF_TC_WITHOUT_HEAD(kvno32);
ATF_TC_BODY(kvno32, tc)
{
	static const uint8_t	 key[32] = { 7 };
	struct wbuf		 w;
	krb5_context		 ctx;
	krb5_keytab		 kt;
	krb5_principal		 p;
	krb5_keytab_entry	 e;
	char			 err[512];

	ctx = context();
	ATF_REQUIRE(krb5_parse_name(ctx, "rcmd/a.test@" TK_REALM, &p) == 0);
	wbuf_init(&w, 2);
	put_simple(&w, 2, "rcmd", "a.test", ETYPE_AES256_CTS_HMAC_SHA1_96,
	    key, sizeof(key), 300);
	put_simple(&w, 2, "rcmd", "a.test", ETYPE_AES128_CTS_HMAC_SHA1_96,
	    key, 16, 0);
	ATF_REQUIRE_MSG(auth_keytab_load(ctx, w.w_b, w.w_n, NAME, 0, &kt, err,
	    sizeof(err)) == 0, "%s", err);
	/* The 32-bit version wins; a zero one leaves the 8-bit one. */
	ATF_CHECK(krb5_kt_get_entry(ctx, kt, p, 300,
	    ETYPE_AES256_CTS_HMAC_SHA1_96, &e) == 0 && e.vno == 300);
	krb5_kt_free_entry(ctx, &e);
	ATF_CHECK(krb5_kt_get_entry(ctx, kt, p, 1,
	    ETYPE_AES128_CTS_HMAC_SHA1_96, &e) == 0 && e.vno == 1);
	krb5_kt_free_entry(ctx, &e);
	auth_keytab_free(ctx, kt);
	krb5_free_principal(ctx, p);
	krb5_free_context(ctx);
}

ATF_TC(has_service);
ATF_TC_HEAD(has_service, tc)
{
	atf_tc_set_md_var(tc, "descr", "auth_keytab_has for each form of "
	    "gssapi.servicename");
	atf_tc_set_md_var(tc, "require.progs", "kadmin");
}
ATF_TC_BODY(has_service, tc)
{
	static const struct {
		const char	*svc;
		int		 has;
	} cases[] = {
		{ "", 0 },			/* rcmd, the default */
		{ "rcmd", 0 },
		{ "rcmd@host.test", 0 },
		{ "rcmd@HOST.Test", 0 },
		{ "rcmd/host.test", 0 },
		{ "rcmd/host.test@" TK_REALM, 0 },
		{ "host", -1 },
		{ "rcm", -1 },
		{ "rcmd@other.test", -1 },
		{ "rcmd/other.test", -1 },
		{ "rcmd/HOST.test", -1 },	/* principals keep case */
		{ "rcmd/host.test@OTHER.REALM", -1 },
		{ "rcmd/host.test/x", -1 },
	};
	struct tk_realm		 r;
	struct auth_service	 sv;
	krb5_context		 ctx;
	krb5_keytab		 kt;
	uint8_t			*buf;
	size_t			 len, i;
	char			 err[512];

	tk_realm_create(&r);
	ctx = context();
	buf = tk_readfile(r.tk_keytab, &len);
	ATF_REQUIRE(auth_keytab_load(ctx, buf, len, NAME, 0, &kt, err,
	    sizeof(err)) >= 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ATF_REQUIRE_MSG(auth_service_parse(ctx, cases[i].svc, &sv,
		    err, sizeof(err)) == 0, "%s: %s", cases[i].svc, err);
		err[0] = '\0';
		ATF_CHECK_EQ_MSG(auth_keytab_has(ctx, kt, NAME, &sv, err,
		    sizeof(err)), cases[i].has, "%s: %s", cases[i].svc, err);
		if (cases[i].has == -1)
			ATF_CHECK_MSG(strstr(err, "keytab " NAME " has no key "
			    "for ") == err, "%s", err);
		auth_service_free(ctx, &sv);
	}
	ATF_REQUIRE(auth_service_parse(ctx, "host", &sv, err,
	    sizeof(err)) == 0);
	ATF_CHECK_EQ(auth_keytab_has(ctx, kt, NAME, &sv, err, sizeof(err)),
	    -1);
	ATF_CHECK_STREQ(err, "keytab " NAME " has no key for host/<any host>");
	auth_service_free(ctx, &sv);
	auth_keytab_free(ctx, kt);
	free(buf);
	krb5_free_context(ctx);
}

ATF_TC_WITHOUT_HEAD(service_names);
ATF_TC_BODY(service_names, tc)
{
	static const char	*bad[] = { "@host", "rcmd@", "a@b@c",
				    "rcmd/host@", NULL };
	struct auth_service	 sv;
	krb5_context		 ctx;
	char			 err[512], longname[SOCKD_NAME_MAX + 1];
	int			 i;

	ctx = context();
	for (i = 0; bad[i] != NULL; i++) {
		err[0] = '\0';
		ATF_CHECK_EQ_MSG(auth_service_parse(ctx, bad[i], &sv, err,
		    sizeof(err)), -1, "%s accepted", bad[i]);
		ATF_CHECK(err[0] != '\0');
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ATF_CHECK_EQ(auth_service_parse(ctx, longname, &sv, err,
	    sizeof(err)), -1);
	ATF_REQUIRE(auth_service_parse(ctx, NULL, &sv, err,
	    sizeof(err)) == 0);
	ATF_CHECK_EQ(sv.sv_type, AUTH_SVC_SERVICE);
	ATF_CHECK_STREQ(sv.sv_service, "rcmd");
	auth_service_free(ctx, &sv);
	ATF_REQUIRE(auth_service_parse(ctx, "socks@proxy.test", &sv, err,
	    sizeof(err)) == 0);
	ATF_CHECK_EQ(sv.sv_type, AUTH_SVC_HOST);
	ATF_CHECK_STREQ(sv.sv_display, "socks/proxy.test");
	auth_service_free(ctx, &sv);
	krb5_free_context(ctx);
}

/*
 * Each load is a keytab of its own, and releasing one frees its keys:
 * resolving the same MEMORY: name afterwards finds it empty.
 */
ATF_TC_WITHOUT_HEAD(release);
ATF_TC_BODY(release, tc)
{
	static const uint8_t	 key[32] = { 9 };
	struct wbuf		 w;
	krb5_context		 ctx;
	krb5_keytab		 a, b, again;
	char			 na[128], nb[128], err[512];

	ctx = context();
	wbuf_init(&w, 2);
	put_simple(&w, 2, "rcmd", "host.test", ETYPE_AES256_CTS_HMAC_SHA1_96,
	    key, sizeof(key), UINT32_MAX);
	ATF_REQUIRE(auth_keytab_load(ctx, w.w_b, w.w_n, NAME, 0, &a, err,
	    sizeof(err)) == 0);
	ATF_REQUIRE(auth_keytab_load(ctx, w.w_b, w.w_n, NAME, 0, &b, err,
	    sizeof(err)) == 0);
	ATF_REQUIRE(krb5_kt_get_name(ctx, a, na, sizeof(na)) == 0);
	ATF_REQUIRE(krb5_kt_get_name(ctx, b, nb, sizeof(nb)) == 0);
	ATF_CHECK(strcmp(na, nb) != 0);
	ATF_CHECK(strncmp(na, "sockd-", 6) == 0);
	auth_keytab_free(ctx, a);
	ATF_CHECK_EQ(count_entries(ctx, b), 1);
	(void)snprintf(err, sizeof(err), "MEMORY:%s", na);
	ATF_REQUIRE(krb5_kt_resolve(ctx, err, &again) == 0);
	ATF_CHECK_EQ(count_entries(ctx, again), 0);
	(void)krb5_kt_close(ctx, again);
	auth_keytab_free(ctx, b);
	krb5_free_context(ctx);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, real_keytab);
	ATF_TP_ADD_TC(tp, version1);
	ATF_TP_ADD_TC(tp, every_truncation);
	ATF_TP_ADD_TC(tp, malformed);
	ATF_TP_ADD_TC(tp, garbage);
	ATF_TP_ADD_TC(tp, holes);
	ATF_TP_ADD_TC(tp, weak_only);
	ATF_TP_ADD_TC(tp, kvno32);
	ATF_TP_ADD_TC(tp, has_service);
	ATF_TP_ADD_TC(tp, service_names);
	ATF_TP_ADD_TC(tp, release);
	return (atf_no_error());
}
