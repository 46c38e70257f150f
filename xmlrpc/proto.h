/* proto.h -- XML API protocol versions: compare and choose. */
#ifndef MC_PROTO_H
#define MC_PROTO_H

#include <stddef.h>

/* The range whose DNS and mail packet shapes this library speaks. */
#define PROTO_MIN	"1.6.3.0"	/* Plesk 10 */
#define PROTO_MAX	"1.6.9.1"	/* Plesk Obsidian */

/* 1 if s is a dotted version of 1 to 4 numbers. */
int	proto_valid(const char *);

/* <0, 0, >0 like strcmp; missing parts count as 0 ("1.6" == "1.6.0.0"). */
int	proto_cmp(const char *, const char *);

/*
 * The highest of the server's protocols within [PROTO_MIN, PROTO_MAX],
 * or NULL if there is none. Returns a pointer into protos.
 */
const char *proto_choose(char *const *protos, size_t n);

#endif
