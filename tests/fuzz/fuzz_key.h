/*
 * fuzz_key.h — the throwaway Ed25519 key the fuzzing seed packages are
 * signed with and the fuzz target pins, so the fuzzer starts from packages
 * whose signature verifies and explores everything behind that check. It
 * protects nothing; never use it for real packages.
 */
#ifndef VIGIL_FUZZ_KEY_H
#define VIGIL_FUZZ_KEY_H

static const char fuzz_private_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIPoxRajXXF/vQ8YqRaWI6HGZS6GKqgzfZK99CM87Q58d\n"
	"-----END PRIVATE KEY-----\n";

static const char fuzz_public_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MCowBQYDK2VwAyEAvKZw0Lb08JOGuVHWaUiYxyuZvtOMN1trNwy/cobBxkA=\n"
	"-----END PUBLIC KEY-----\n";

#endif
