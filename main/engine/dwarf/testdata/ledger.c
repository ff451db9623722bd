/*
 * ledger.c - globals of every shape the debug-info reader must name: nested structs, unions
 * (and anonymous ones), bitfields, enums, arrays of structs, 2-D arrays, strings, a linked
 * list on the heap, typedefs, qualifiers, function pointers and statics.
 *
 * It fills them in, then for step = 0 .. 49 sets ledger.step = step, table.count = step * 3
 * and writes "step N\n"; at step 30 it overwrites ledger.guard. Then it prints "done".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum color { RED, GREEN = 5, BLUE = -2 };
typedef enum { MODE_IDLE, MODE_BUSY = 7 } mode_t_;

struct flags {
	unsigned ready : 1;
	unsigned level : 3;
	int delta : 5;
	unsigned long wide : 40;
};

struct item {
	uint32_t sku;
	char label[12];
	struct item *next;
};

struct row {
	int id;
	double weight;
	short tags[3];
};

typedef struct row row_t;

union value {
	int64_t i;
	double d;
	unsigned char raw[8];
};

struct ledger {
	char name[16];
	uint8_t small;
	int slots[8];
	uint32_t guard;
	struct flags flags;
	enum color color;
	mode_t_ mode;
	union value value;
	union {
		int anon_a;
		float anon_f;
	};
	struct {
		uint16_t x, y;
	} point;
	const char *title;
	struct item *head;
	void (*callback)(int);
	int step;
	_Bool ok;
	volatile long counter;
	uint64_t big;
	int64_t negative;
};

struct table {
	int count;
	row_t rows[4];
	int grid[2][3];
};

struct ledger ledger = { .name = "books", .guard = 0xdeadbeef, .title = "the ledger" };
struct table table;
static int hidden = 42;
int index_var = 2;
const double ratio = 0.5;
char message[] = "hello, world";
struct item *head;
int *nowhere;
int numbers[5] = { 10, 20, 30, 40, 50 };
unsigned char bytes_seen[3] = { 1, 2, 255 };
long long wide_numbers[2] = { -1, 1LL << 40 };

static void on_step(int step)
{
	ledger.counter += step;
}

static void say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		_exit(2);
}

int main(void)
{
	struct item **tail = &head;
	for (uint32_t sku = 1001; sku <= 1004; sku++) {
		struct item *it = calloc(1, sizeof *it);
		if (!it)
			return 1;
		it->sku = sku;
		memcpy(it->label, "item-", 5);
		it->label[5] = (char)('0' + sku % 10);
		*tail = it;
		tail = &it->next;
	}
	ledger.head = head;
	ledger.small = 200;
	for (int i = 0; i < 8; i++)
		ledger.slots[i] = i * i;
	ledger.flags.ready = 1;
	ledger.flags.level = 5;
	ledger.flags.delta = -3;
	ledger.flags.wide = 0xABCDE12345UL;
	ledger.color = BLUE;
	ledger.mode = MODE_BUSY;
	ledger.value.d = 2.5;
	ledger.anon_a = 77;
	ledger.point.x = 3;
	ledger.point.y = 4;
	ledger.callback = on_step;
	ledger.ok = 1;
	ledger.big = 0xfedcba9876543210ULL;
	ledger.negative = -5;
	for (int i = 0; i < 4; i++) {
		table.rows[i].id = 100 + i;
		table.rows[i].weight = i * 1.5;
		table.rows[i].tags[0] = (short)-i;
	}
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 3; j++)
			table.grid[i][j] = i * 10 + j;
	for (int step = 0; step < 50; step++) {
		ledger.step = step;
		table.count = step * 3;
		if (step == 30)
			ledger.guard = 0x0badf00d;
		ledger.callback(step);
		char line[32] = "step ";
		line[5] = (char)('0' + step / 10);
		line[6] = (char)('0' + step % 10);
		line[7] = '\n';
		say(line);
		usleep(2000);
	}
	say(hidden == 42 ? "done\n" : "bad\n");
	return 0;
}
