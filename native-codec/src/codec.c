/*
 * The store's per-page hot loops as an N-API addon (ABI-stable: the same build loads in Node
 * and in Electron's main process and its workers). See ../CONTEXT.md and main/store/native.ts.
 *
 *   inspect(content, previous | null, hashOut)  0: all zero, 1: same bytes as previous,
 *                                               2: changed, its 64-bit hash in hashOut [hi, lo]
 *   encode(content, base | null, fullBias, scratch)  kind + 8 * payload length; the payload is
 *                                               at scratch[0..) (Raw: the content itself)
 *   lz4Encode(input, output)                    LZ4 block size, 0 when it does not fit
 *   lz4Decode(input, output)                    decoded size, negative when malformed
 *
 * encode() makes the choice described in main/store/codec.ts, byte for byte as that file's
 * reference encoders would: codec.test.ts holds it to them.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <lz4.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum { KIND_RAW = 1, KIND_LZ4 = 2, KIND_XOR_LZ4 = 3, KIND_XOR_RUNS = 4 };

/* The same thresholds as codec.ts (DELTA_GOOD_ENOUGH, RUNS_MAX_WORDS). */
#define DELTA_GOOD_ENOUGH 64
#define RUNS_MAX_WORDS 256

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 64 <= n; i += 64) {
		uint64_t any = 0;
		for (size_t k = 0; k < 64; k += 8) any |= load64(p + i + k);
		if (any) return false;
	}
	for (; i < n; i++)
		if (p[i]) return false;
	return true;
}

/* Changed 32-bit words of a against b, a partial last word counting as one more. */
static size_t changed_words(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t words = n / 4, nz = 0;
	for (size_t i = 0; i < words; i++) nz += load32(a + 4 * i) != load32(b + 4 * i);
	if (n % 4 && memcmp(a + 4 * words, b + 4 * words, n % 4) != 0) nz++;
	return nz;
}

static size_t put_varint(uint8_t *out, size_t o, size_t v)
{
	while (v >= 0x80) {
		out[o++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[o++] = (uint8_t)v;
	return o;
}

/*
 * The runs of (a XOR b): [varint skip][varint len][len bytes]..., zero gaps of up to 2 bytes
 * kept inside a run; -1 when `o + 8 + len > limit` at a run (codec.ts encodeRuns' rule).
 */
static long encode_runs(const uint8_t *a, const uint8_t *b, size_t n, uint8_t *out, long limit)
{
	size_t o = 0, last = 0, p = 0;
	for (;;) {
		while (p + 8 <= n && load64(a + p) == load64(b + p)) p += 8;
		while (p < n && a[p] == b[p]) p++;
		if (p >= n) return (long)o;
		size_t start = p, end = p + 1;
		for (size_t j = p + 1; j < n && j - end < 3; j++)
			if (a[j] != b[j]) end = j + 1;
		if ((long)(o + 8 + (end - start)) > limit) return -1;
		o = put_varint(out, o, start - last);
		o = put_varint(out, o, end - start);
		for (size_t k = start; k < end; k++) out[o++] = a[k] ^ b[k];
		last = p = end;
	}
}

static void xor_into(const uint8_t *a, const uint8_t *b, uint8_t *out, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v = load64(a + i) ^ load64(b + i);
		memcpy(out + i, &v, 8);
	}
	for (; i < n; i++) out[i] = a[i] ^ b[i];
}

static int lz4_into(const uint8_t *in, size_t n, uint8_t *out, long cap)
{
	if (n == 0 || cap <= 0) return 0;
	return LZ4_compress_default((const char *)in, (char *)out, (int)n, (int)cap);
}

/*
 * The smallest of runs, XOR+LZ4 and LZ4 (ties to the full kinds), with codec.ts's shortcuts.
 * scratch holds 4n bytes: runs, XOR, delta block, full block; the winner is moved to its start.
 */
static uint32_t encode_blob(const uint8_t *c, const uint8_t *b, size_t n, double bias, uint8_t *scratch, size_t *len)
{
	uint8_t *runs = scratch, *xor = scratch + n, *delta = scratch + 2 * n, *full = scratch + 3 * n;
	uint32_t best = 0;
	size_t best_len = 0;
	const uint8_t *best_at = NULL;
	bool done = false;
	if (b) {
		long runs_len = changed_words(c, b, n) <= RUNS_MAX_WORDS ? encode_runs(c, b, n, runs, (long)n - 1) : -1;
		if (runs_len >= 0) {
			best = KIND_XOR_RUNS;
			best_len = (size_t)runs_len;
			best_at = runs;
		}
		if (runs_len < 0 || runs_len > DELTA_GOOD_ENOUGH) {
			xor_into(c, b, xor, n);
			int lz = lz4_into(xor, n, delta, best ? (long)best_len - 1 : (long)n - 1);
			if (lz > 0) {
				best = KIND_XOR_LZ4;
				best_len = (size_t)lz;
				best_at = delta;
			}
		} else if (bias <= 1) {
			done = true;
		}
	}
	if (!done && !(best && bias <= 1 && best_len <= n >> 3)) {
		long cap = (long)n - 1;
		if (best) {
			double biased = (double)best_len * bias;
			if (biased < (double)cap) cap = (long)biased;
		}
		int full_len = lz4_into(c, n, full, cap);
		if (full_len > 0) {
			best = KIND_LZ4;
			best_len = (size_t)full_len;
			best_at = full;
		} else if (!best) {
			best = KIND_RAW;
			best_len = n;
			best_at = NULL;
		}
	}
	if (best_at && best_at != scratch) memmove(scratch, best_at, best_len);
	*len = best_len;
	return best;
}

/* ---- N-API glue ---- */

typedef struct {
	uint8_t *p;
	size_t n;
} bytes;

static bool fail(napi_env env, const char *message)
{
	napi_throw_type_error(env, NULL, message);
	return false;
}

static bool get_bytes(napi_env env, napi_value v, bytes *out, bool nullable, const char *message)
{
	napi_typedarray_type type;
	size_t length;
	void *data;
	/* One call on the common path: anything but a typed array fails it without throwing. */
	if (napi_get_typedarray_info(env, v, &type, &length, &data, NULL, NULL) != napi_ok) {
		napi_valuetype t;
		if (nullable && napi_typeof(env, v, &t) == napi_ok && (t == napi_null || t == napi_undefined)) {
			out->p = NULL;
			out->n = 0;
			return true;
		}
		return fail(env, message);
	}
	size_t size = 1;
	if (type == napi_int16_array || type == napi_uint16_array) size = 2;
	else if (type == napi_int32_array || type == napi_uint32_array || type == napi_float32_array) size = 4;
	else if (type == napi_float64_array || type == napi_bigint64_array || type == napi_biguint64_array) size = 8;
	out->p = data;
	out->n = length * size;
	return true;
}

static napi_value number(napi_env env, double v)
{
	napi_value r;
	napi_create_double(env, v, &r);
	return r;
}

static bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv)
{
	size_t argc = want;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) return fail(env, "too few arguments");
	return true;
}

static napi_value js_inspect(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	bytes c, prev, hash;
	if (!get_args(env, info, 3, argv) || !get_bytes(env, argv[0], &c, false, "content must be a typed array") ||
	    !get_bytes(env, argv[1], &prev, true, "previous must be a typed array or null") ||
	    !get_bytes(env, argv[2], &hash, false, "hashOut must be a Uint32Array of 2"))
		return NULL;
	if (hash.n < 8) return fail(env, "hashOut must be a Uint32Array of 2"), NULL;
	if (all_zero(c.p, c.n)) return number(env, 0);
	if (prev.p && prev.n == c.n && memcmp(c.p, prev.p, c.n) == 0) return number(env, 1);
	uint64_t h = XXH3_64bits(c.p, c.n);
	uint32_t halves[2] = { (uint32_t)(h >> 32), (uint32_t)h };
	memcpy(hash.p, halves, 8);
	return number(env, 2);
}

static napi_value js_encode(napi_env env, napi_callback_info info)
{
	napi_value argv[4];
	bytes c, base, scratch;
	double bias;
	if (!get_args(env, info, 4, argv) || !get_bytes(env, argv[0], &c, false, "content must be a typed array") ||
	    !get_bytes(env, argv[1], &base, true, "base must be a typed array or null") ||
	    !get_bytes(env, argv[3], &scratch, false, "scratch must be a typed array"))
		return NULL;
	if (napi_get_value_double(env, argv[2], &bias) != napi_ok) return fail(env, "fullBias must be a number"), NULL;
	if (scratch.n < 4 * c.n) return fail(env, "scratch must hold 4 times the content"), NULL;
	if (base.p && base.n != c.n) base.p = NULL;
	size_t len;
	uint32_t kind = encode_blob(c.p, base.p, c.n, bias, scratch.p, &len);
	return number(env, (double)kind + 8.0 * (double)len);
}

static napi_value js_lz4_encode(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	bytes in, out;
	if (!get_args(env, info, 2, argv) || !get_bytes(env, argv[0], &in, false, "input must be a typed array") ||
	    !get_bytes(env, argv[1], &out, false, "output must be a typed array"))
		return NULL;
	if (in.n > (size_t)LZ4_MAX_INPUT_SIZE) return fail(env, "input is too large for one LZ4 block"), NULL;
	size_t cap = out.n > (size_t)INT32_MAX ? (size_t)INT32_MAX : out.n;
	return number(env, lz4_into(in.p, in.n, out.p, (long)cap));
}

static napi_value js_lz4_decode(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	bytes in, out;
	if (!get_args(env, info, 2, argv) || !get_bytes(env, argv[0], &in, false, "input must be a typed array") ||
	    !get_bytes(env, argv[1], &out, false, "output must be a typed array"))
		return NULL;
	if (in.n == 0 || in.n > (size_t)INT32_MAX || out.n > (size_t)INT32_MAX) return number(env, -1);
	return number(env, LZ4_decompress_safe((const char *)in.p, (char *)out.p, (int)in.n, (int)out.n));
}

NAPI_MODULE_INIT()
{
	napi_property_descriptor props[] = {
		{ "inspect", NULL, js_inspect, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "encode", NULL, js_encode, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "lz4Encode", NULL, js_lz4_encode, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "lz4Decode", NULL, js_lz4_decode, NULL, NULL, NULL, napi_enumerable, NULL },
	};
	if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
	return exports;
}
