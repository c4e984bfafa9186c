// SHA-256 block compression and a one-shot digest, in C so the x86 SHA
// extensions (SHA-NI) can be used when the CPU has them. Ours, small, and
// with a portable path that gives the same bytes everywhere else.
#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

// Compresses `nblocks` 64-byte blocks into `state` (eight words, FIPS 180-4
// order), with the fastest path this CPU supports.
void csha256_blocks(uint32_t state[8], const uint8_t *data, size_t nblocks);

// The same, always on the portable path (tests compare the two).
void csha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t nblocks);

// 1 when the SHA extensions are used, 0 otherwise.
int csha256_accelerated(void);

// SHA-256 of `len` bytes into `out` (32 bytes).
void csha256_digest(const uint8_t *data, size_t len, uint8_t out[32]);

#endif
