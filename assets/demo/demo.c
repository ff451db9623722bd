/*
 * demo.c - DeLorean's bundled demo: a small shop that receives deliveries, with a memory bug.
 *
 * THE BUG: the shop keeps the last 8 deliveries in `shop.recent[8]` and wraps the index with
 *     if (shop.nrecent > RECENT) shop.nrecent = 0;      // should be >= RECENT
 * so every 9th delivery is stored in recent[8], one past the end - which is where `guard`
 * lives. The guard should always read 0xC0FFEE11; the first overrun happens at step 8, and
 * again at steps 17, 26 and 35. Nothing crashes: the program only notices at the very end.
 *
 * Try it: record it, then search for the first checkpoint where `shop.guard != 0xC0FFEE11`,
 * or ask for every change of `shop.guard`. Each step prints one line and sleeps ~50 ms so you
 * can watch the timeline grow; 40 steps take about two seconds.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define STEPS 40
#define RECENT 8
#define GUARD 0xC0FFEE11u

struct shop {
	char name[16];
	int stock[4];         /* units on the shelf, per product */
	int recent[RECENT];   /* the last deliveries, newest at recent[nrecent - 1] */
	uint32_t guard;       /* must always be GUARD */
	int nrecent;
	long total_delivered;
};

static const char *const products[4] = { "widgets", "gadgets", "sprockets", "gizmos" };

struct shop shop = { .name = "corner shop", .guard = GUARD };

static void remember_delivery(int units)
{
	shop.recent[shop.nrecent] = units; /* writes recent[8] == guard when nrecent is 8 */
	shop.nrecent++;
	if (shop.nrecent > RECENT) /* BUG: lets nrecent reach 8 before wrapping */
		shop.nrecent = 0;
}

static void deliver(int step)
{
	int product = step % 4;
	int units = 5 + (step * 7) % 13;
	shop.stock[product] += units;
	shop.total_delivered += units;
	remember_delivery(units);
	printf("step %2d: %2d %-9s delivered, %4ld in total\n", step, units, products[product], shop.total_delivered);
	fflush(stdout);
}

int main(void)
{
	printf("%s opens; the guard reads 0x%08X\n", shop.name, shop.guard);
	fflush(stdout);
	for (int step = 0; step < STEPS; step++) {
		deliver(step);
		struct timespec pause = { 0, 50 * 1000 * 1000 };
		nanosleep(&pause, NULL);
	}
	if (shop.guard != GUARD)
		printf("closing time: the guard reads 0x%08X, expected 0x%08X - memory was corrupted!\n", shop.guard,
		       GUARD);
	else
		printf("closing time: all good\n");
	return 0;
}
