/*
 * names_loop.c - a search workload for source-level names: N steps, each setting
 * state.counter = step and the second list node's value = step * 2, then one write(2) to
 * /dev/null (a checkpoint when recorded with --syscalls write).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

struct node {
	int value;
	struct node *next;
};

struct state {
	char pad[8];
	volatile uint32_t counter;
	uint64_t total;
	struct node *head;
};

struct state state;

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0)
		return 1;
	struct node **tail = &state.head;
	for (int i = 0; i < 3; i++) {
		struct node *nd = calloc(1, sizeof *nd);
		if (!nd)
			return 1;
		*tail = nd;
		tail = &nd->next;
	}
	for (long step = 0; step < n; step++) {
		state.counter = (uint32_t)step;
		state.head->next->value = (int)(step * 2);
		state.total += (uint64_t)step;
		if (write(fd, "x", 1) != 1)
			return 1;
	}
	return 0;
}
