/*
 * elf_symbols.c - looks up function symbols in an ELF64 x86-64 file.
 *
 * Maps the file read-only and walks the section headers for SHT_SYMTAB and SHT_DYNSYM. Every
 * offset, size and string index is checked against the file size before use, so a truncated
 * or crafted file yields ENOEXEC, never an out-of-bounds read. Stateless: each call maps and
 * unmaps the file (it runs once per --break at start and after an exec, not on a hot path).
 */
#include "elf_symbols.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct image {
	const uint8_t *base;
	size_t size;
};

static bool in_file(const struct image *im, uint64_t off, uint64_t len)
{
	return off <= im->size && len <= im->size - off;
}

static int map_file(const char *path, struct image *im)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0)
		goto err;
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		errno = ENOEXEC;
		goto err;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		goto err;
	close(fd);
	im->base = p;
	im->size = (size_t)st.st_size;
	return 0;
err:;
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

static const Elf64_Ehdr *check_header(const struct image *im)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)im->base;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64 ||
	    (eh->e_type != ET_EXEC && eh->e_type != ET_DYN))
		return NULL;
	return eh;
}

/* Searches one symbol table section; returns 1 when found (global), 2 when found (local only), 0 when not. */
static int search_table(const struct image *im, const Elf64_Shdr *sh, size_t nsec, const Elf64_Shdr *tab,
			const char *name, uint64_t *value)
{
	if (tab->sh_entsize != sizeof(Elf64_Sym) || tab->sh_link >= nsec || !in_file(im, tab->sh_offset, tab->sh_size))
		return 0;
	const Elf64_Shdr *strs = &sh[tab->sh_link];
	if (strs->sh_type != SHT_STRTAB || !in_file(im, strs->sh_offset, strs->sh_size))
		return 0;
	const char *str = (const char *)im->base + strs->sh_offset;
	const Elf64_Sym *sym = (const Elf64_Sym *)(im->base + tab->sh_offset);
	size_t n = tab->sh_size / sizeof(Elf64_Sym), len = strlen(name);
	int found = 0;
	for (size_t i = 0; i < n; i++) {
		int type = ELF64_ST_TYPE(sym[i].st_info), bind = ELF64_ST_BIND(sym[i].st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym[i].st_shndx == SHN_UNDEF || sym[i].st_value == 0)
			continue;
		/* The name must fit in the string table, NUL included. */
		if (sym[i].st_name >= strs->sh_size || strs->sh_size - sym[i].st_name < len + 1)
			continue;
		if (memcmp(str + sym[i].st_name, name, len + 1) != 0)
			continue;
		if (bind == STB_GLOBAL || bind == STB_WEAK) {
			*value = sym[i].st_value;
			return 1;
		}
		if (!found) {
			*value = sym[i].st_value;
			found = 2;
		}
	}
	return found;
}

static int lookup(const char *path, const char *name, uint64_t *value, struct elf_info *info)
{
	struct image im;
	if (map_file(path, &im) < 0)
		return -1;
	int rc = -1, e = ENOEXEC;
	const Elf64_Ehdr *eh = check_header(&im);
	if (!eh)
		goto out;
	if (info) {
		info->type = eh->e_type;
		info->entry = eh->e_entry;
	}
	if (!name) {
		rc = 0;
		goto out;
	}
	if (eh->e_shentsize != sizeof(Elf64_Shdr) || !in_file(&im, eh->e_shoff, sizeof(Elf64_Shdr)))
		goto out;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(im.base + eh->e_shoff);
	size_t nsec = eh->e_shnum ? eh->e_shnum : sh[0].sh_size; /* extended numbering */
	if (nsec > im.size / sizeof(Elf64_Shdr) || !in_file(&im, eh->e_shoff, nsec * sizeof(Elf64_Shdr)))
		goto out;
	e = ENOENT;
	uint64_t local = 0;
	bool have_local = false;
	const uint32_t kinds[2] = { SHT_SYMTAB, SHT_DYNSYM };
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < nsec; i++) {
			if (sh[i].sh_type != kinds[k])
				continue;
			uint64_t v;
			int r = search_table(&im, sh, nsec, &sh[i], name, &v);
			if (r == 1) {
				if (value)
					*value = v;
				rc = 0;
				goto out;
			}
			if (r == 2 && !have_local) {
				local = v;
				have_local = true;
			}
		}
	}
	if (have_local) {
		if (value)
			*value = local;
		rc = 0;
	}
out:
	munmap((void *)im.base, im.size);
	if (rc < 0)
		errno = e;
	return rc;
}

int elf_find_function(const char *path, const char *name, uint64_t *value, struct elf_info *info)
{
	return lookup(path, name, value, info);
}

int elf_read_info(const char *path, struct elf_info *info)
{
	return lookup(path, NULL, NULL, info);
}
