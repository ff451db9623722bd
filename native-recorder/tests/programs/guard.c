/*
 * guard.c - the "memory bug" program: a buffer overrun and a corrupted list node, each at a
 * documented iteration, for bisect and "every change of this address" tests.
 *
 * Memory history (globals and heap, -O0):
 *   - `store.inv` is struct inventory { int items[16]; uint32_t guard; } with guard = 0xdeadbeef,
 *     followed in `store` by `int spill[16]` (all 0), so the overrun stays inside `store`.
 *   - list_head: 5 heap nodes with values 100, 200, 300, 400, 500 (in list order), built
 *     before the loop.
 *   - for i = 0 .. 31:  iteration = i; items[i] = i*3 (through a pointer, so for i >= 16 the
 *     store overruns: i == 16 writes 48 into guard, i = 17 .. 31 write i*3 into spill[i-17]);
 *     at i == 20 a stale pointer bug writes 0xbad (2989) into the 3rd node's value (was 300);
 *     then write(1, "iteration <i> guard=<hex>\n").
 *   - then write(1, "done\n"), exit 0.
 * So guard == 0xdeadbeef at every checkpoint until the one of iteration 16's write, 48 from
 * there on; list_head->next->next->value == 300 until iteration 20's write, 0xbad after.
 */
#include <stdint.h>
#include <stdlib.h>

#include "out.h"

struct inventory {
	int items[16];
	uint32_t guard;
};

struct node {
	int value;
	struct node *next;
};

struct {
	struct inventory inv;
	int spill[16];
} store = { .inv = { .guard = 0xdeadbeef } };

struct node *list_head;
volatile int iteration = -1;

int main(void)
{
	struct node **tail = &list_head;
	for (int v = 100; v <= 500; v += 100) {
		struct node *n = malloc(sizeof *n);
		if (!n)
			return 1;
		n->value = v;
		n->next = NULL;
		*tail = n;
		tail = &n->next;
	}
	struct node *stale = list_head->next->next; /* kept "for later": the bug */

	volatile int *items = store.inv.items;
	for (int i = 0; i < 32; i++) {
		iteration = i;
		items[i] = i * 3;
		if (i == 20)
			stale->value = 0xbad;
		struct line l = { .len = 0 };
		line_str(&l, "iteration ");
		line_u64(&l, (uint64_t)i);
		line_str(&l, " guard=");
		line_hex(&l, store.inv.guard);
		line_str(&l, "\n");
		line_write(&l);
	}
	struct line l = { .len = 0 };
	line_str(&l, "done\n");
	line_write(&l);
	return 0;
}
