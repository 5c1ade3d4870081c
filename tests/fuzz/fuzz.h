/*
 * What every libFuzzer harness in tests/fuzz shares: the entry points
 * and a check that stops the run with a message.  A failed check is a
 * bug in the code under test (or in the harness's model of it), so it
 * aborts: libFuzzer then saves the input as a crash artifact.
 */

#ifndef SOCKD_FUZZ_H
#define SOCKD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s: ",		\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		abort();						\
	}								\
} while (0)

#endif /* SOCKD_FUZZ_H */
