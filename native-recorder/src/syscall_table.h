/*
 * syscall_table.h - x86-64 system call numbers by name (see syscall_table.c).
 */
#ifndef DL_SYSCALL_TABLE_H
#define DL_SYSCALL_TABLE_H

/* x86-64 numbers are below this; a bitmap of this many bits covers every call. */
#define SYSCALL_NR_LIMIT 512

struct syscall_name {
	const char *name;
	int nr;
};

/* The number of a system call by its name ("write"), or -1 if unknown. */
int syscall_by_name(const char *name);

#endif
