#include "log.h"

#include <string.h>

int dl_log_debug;

void dl_log_init(void)
{
	const char *v = getenv("DELOREAN_LOG");
	dl_log_debug = v && strstr(v, "debug") != NULL;
}
