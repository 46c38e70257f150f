/* fuzz.h -- shared by the libFuzzer harnesses (header only). */
#ifndef MC_FUZZ_H
#define MC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_UNUSED __attribute__((unused))

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The input as a NUL-terminated string (malloc'd; NULL on ENOMEM). */
static FUZZ_UNUSED char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		return NULL;
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Take n header bytes off the input; 0 when there are fewer. */
static FUZZ_UNUSED int
fuzz_take(const uint8_t **data, size_t *size, uint8_t *out, size_t n)
{
	if (*size < n)
		return 0;
	memcpy(out, *data, n);
	*data += n;
	*size -= n;
	return 1;
}

#endif
