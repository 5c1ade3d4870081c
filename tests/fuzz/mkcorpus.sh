#!/bin/sh
#
# Write the seed corpora of tests/fuzz/corpus/ again.  The seeds are
# checked in; this script only says where each came from, so that a
# change of a format can be followed.  Run from the top directory; the
# keytabs need Heimdal's ktutil (heimdal-clients), no KDC.
#
#	sh tests/fuzz/mkcorpus.sh

set -eu

top=tests/fuzz/corpus

# Bytes from hex, e.g. hex 05 01 00 (spaces optional).
hex()
{
	for b in $(echo "$*" | tr -d ' \n' | sed 's/../& /g'); do
		printf "\\$(printf '%03o' "0x${b}")"
	done
}

# n copies of a character.
rep()
{
	head -c "$1" /dev/zero | tr '\0' "$2"
}

# 16/32-bit integers: big-endian, and host order (little-endian here,
# for imsg headers and version 1 keytabs).
be16() { hex "$(printf '%04x' "$1")"; }
le16() { hex "$(printf '%04x' "$1" | sed 's/\(..\)\(..\)/\2\1/')"; }
le32() { hex "$(printf '%08x' "$1" |
    sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')"; }

socks()
{
	d=${top}/fuzz_socks
	hex 05 01 00 >"${d}/greeting-none"
	hex 05 02 00 01 >"${d}/greeting-none-gssapi"
	{ hex 05 ff; i=0; while [ $i -lt 255 ]; do hex "$(printf %02x $i)";
	    i=$((i + 1)); done; } >"${d}/greeting-255"
	hex 05 01 >"${d}/method-gssapi"
	hex 05 01 00 01 7f 00 00 01 00 50 >"${d}/request-connect-ipv4"
	hex 05 02 00 04 00000000000000000000000000000001 1f 90 \
	    >"${d}/request-bind-ipv6"
	{ hex 05 03 00 03 09; printf localhost; hex 00 35; } \
	    >"${d}/request-udp-domain"
	{ hex 05 01 00 03 ff; rep 255 a; hex 01 bb; } \
	    >"${d}/request-connect-domain255"
	hex 05 09 00 01 0a 00 00 01 00 16 >"${d}/request-unknown-command"
	hex 05 00 00 01 7f 00 00 01 04 38 >"${d}/reply-ok-ipv4"
	hex 05 05 00 01 00 00 00 00 00 00 >"${d}/reply-refused"
	{ hex 05 00 00 03 0b; printf example.org; hex 00 50; } \
	    >"${d}/reply-ok-domain"
	{ hex 00 00 00 01 7f 00 00 01 00 35; printf data; } >"${d}/udp-ipv4"
	{ hex 00 00 00 03 0b; printf example.org; hex 00 35; printf query; } \
	    >"${d}/udp-domain"
	{ hex 00 00 01 04 fe800000000000000000000000000001 30 39; printf x; } \
	    >"${d}/udp-ipv6-frag"
}

gssframe()
{
	d=${top}/fuzz_gssframe
	hex 01 01 00 05 6082010000 >"${d}/auth"
	hex 01 02 00 01 02 >"${d}/protect"
	hex 01 03 00 04 61626364 >"${d}/data"
	hex 01 ff >"${d}/abort"
	hex 01 03 ff ff 0000 >"${d}/data-truncated"
	hex 05 01 00 >"${d}/not-rfc1961"
}

# Reader inputs: message type, steps (read size, frames to take), stream.
gssreader()
{
	d=${top}/fuzz_gssreader
	{ hex 02 00; hex 01 03 00 03 616263; hex 01 03 00 00;
	    hex 01 03 00 05 6869746865; } >"${d}/three-frames"
	{ hex 02 04  0001 00  0005 01  0002 00  0003 00;
	    hex 01 03 00 03 616263 01 03 00 01 7a 01 03 00 02 7979; } \
	    >"${d}/split-reads"
	{ hex 02 02  ffff 00  0010 00; hex 01 03 ff ff; rep 65535 T;
	    hex 01 03 00 02 6f6b 01 03 00; } >"${d}/max-token-and-tail"
	{ hex 02 00; hex 01 03 00 01 41 01 ff; } >"${d}/abort-after-frame"
	{ hex 00 01  0003 00; hex 01 01 00 02 4142 01 03 00 00; } \
	    >"${d}/wrong-type"
	{ hex 01 00; hex 01 02 00 01 01 02 02 00 00; } >"${d}/bad-version"
}

config()
{
	d=${top}/fuzz_config
	for f in tests/unit/conf/good_*.conf tests/unit/conf/bad_*.conf; do
		cp "$f" "${d}/${f##*/}"
	done
}

# Keytab entry, version 1 (host byte order, count includes the realm,
# no name type): realm, two components, enctype 18, 32-byte key.
ktv1_entry()
{
	le16 3; le16 10; printf SOCKD.TEST; le16 4; printf rcmd
	le16 9; printf localhost; le32 1700000000; hex 05; le16 18
	le16 32; rep 32 K
}

keytab()
{
	d=${top}/fuzz_keytab
	tmp=$(mktemp -d)
	kt()
	{
		KRB5_CONFIG=/dev/null ktutil -k "${tmp}/$1" add \
		    -p "$2" -V "$3" -e "$4" -w password >/dev/null
	}
	kt aes256 rcmd/localhost@SOCKD.TEST 1 aes256-cts-hmac-sha1-96
	cp "${tmp}/aes256" "${d}/aes256"
	kt multi rcmd/localhost@SOCKD.TEST 2 aes256-cts-hmac-sha1-96
	kt multi rcmd/localhost@SOCKD.TEST 2 aes128-cts-hmac-sha1-96
	kt multi socks/proxy.example@SOCKD.TEST 300 aes128-cts-hmac-sha1-96
	kt multi rcmd/localhost@SOCKD.TEST 2 arcfour-hmac-md5
	cp "${tmp}/multi" "${d}/multi-kvno300-weak"
	kt weak rcmd/localhost@SOCKD.TEST 1 arcfour-hmac-md5
	cp "${tmp}/weak" "${d}/weak-only"
	# A hole of 8 bytes (a removed entry) before the one entry.
	{ head -c 2 "${tmp}/aes256"; hex fffffff8 0000000000000000;
	    tail -c +3 "${tmp}/aes256"; } >"${d}/hole"
	{ hex 05 01; n=$(ktv1_entry | wc -c); le32 "$n"; ktv1_entry; } \
	    >"${d}/version1"
	chmod 644 "${d}"/*
	rm -rf "${tmp}"
}

# imsg writes: flags, length (big-endian), bytes.  A header is type,
# len, flags, peerid, pid, each 32 bits in host byte order.
imsghdr() { le32 "$1"; le32 "$2"; le32 "$3"; le32 "$4"; le32 4242; }

imsg()
{
	d=${top}/fuzz_imsg
	{ hex 00; be16 36; imsghdr 9 36 0 7; rep 16 t; } >"${d}/one"
	{ hex 01; be16 24; imsghdr 17 24 1 7; printf abcd; } >"${d}/with-fd"
	{ hex 00; be16 10; imsghdr 8 30 0 1 | head -c 10;
	  hex 00; be16 20; imsghdr 8 30 0 1 | tail -c 10; rep 10 x; } \
	    >"${d}/split"
	{ hex 80; be16 60; imsghdr 12 20 0 3; imsghdr 13 20 0 3;
	    imsghdr 14 20 0 3; hex 00; be16 0; } >"${d}/three-held"
	{ hex 00; be16 1020; imsghdr 10 1020 0 5; rep 1000 k; } \
	    >"${d}/large"
	{ hex 02; be16 20; imsghdr 5 20 1 1; } >"${d}/two-fds"
	{ hex 00; be16 20; imsghdr 1 100000 0 0; } >"${d}/too-large"
}

for h in fuzz_socks fuzz_gssframe fuzz_gssreader fuzz_config fuzz_keytab \
    fuzz_imsg; do
	rm -rf "${top:?}/${h}"
	mkdir -p "${top}/${h}"
done
socks
gssframe
gssreader
config
keytab
imsg
