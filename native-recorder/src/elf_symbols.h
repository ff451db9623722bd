/*
 * elf_symbols.h - function symbols of an ELF64 x86-64 file (.symtab, then .dynsym), for
 * --break SYM. A small reader of our own: no libelf, every offset bounds-checked, so a
 * truncated or hostile file gives an error and never a crash.
 */
#ifndef DL_ELF_SYMBOLS_H
#define DL_ELF_SYMBOLS_H

#include <stdint.h>

struct elf_info {
	uint16_t type;  /* ET_EXEC or ET_DYN (PIE: symbol values are relative to the load base) */
	uint64_t entry; /* e_entry, link-time */
};

/*
 * Finds the function NAME (STT_FUNC or STT_GNU_IFUNC, defined) in PATH. Global symbols win
 * over local ones of the same name; .symtab is searched before .dynsym. Returns 0 with the
 * link-time value in *value and the header facts in *info (either may be NULL), or -1 with
 * errno: ENOENT no such function, ENOEXEC not an ELF64 x86-64 little-endian file, or the
 * error of open/mmap.
 */
int elf_find_function(const char *path, const char *name, uint64_t *value, struct elf_info *info);

/* Only the header facts. Returns 0 or -1 as above. */
int elf_read_info(const char *path, struct elf_info *info);

#endif
