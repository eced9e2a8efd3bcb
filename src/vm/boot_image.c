/* Kernel image parser: validates everything the loader will rely on, so the
 * loader can copy without further checks.  No I/O, no allocation. */
#include "vm/boot_image.h"

#include <elf.h>
#include <string.h>

#include "util/error.h"

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int parse_bzimage(const uint8_t *buf, size_t len, struct cl_boot_image *o,
			 struct cl_err *err)
{
	unsigned sects;
	uint32_t syssize;
	size_t vo;

	if (len < 1024)
		return cl_fail(err, 0, "bzImage too short (%zu bytes)", len);
	if (le16(buf + BP_BOOT_FLAG) != 0xaa55)
		return cl_fail(err, 0, "not a bzImage: no 0xAA55 boot flag");
	o->kind = CL_BOOT_BZIMAGE;
	o->protocol = le16(buf + BP_VERSION);
	if (o->protocol < 0x020c)
		return cl_fail(err, 0, "boot protocol %u.%02u too old (need 2.12 or later)",
			       o->protocol >> 8, o->protocol & 0xff);
	/* The jump at 0x200 skips the header: its target is the header's end. */
	o->hdr_end = 0x202 + (size_t)buf[BP_JUMP + 1];
	if (buf[BP_JUMP] != 0xeb || o->hdr_end < BP_CMDLINE_SIZE + 4 || o->hdr_end > 1024)
		return cl_fail(err, 0, "malformed setup header (jump 0x%02x 0x%02x)", buf[BP_JUMP],
			       buf[BP_JUMP + 1]);
	if (!(buf[BP_LOADFLAGS] & LOADFLAG_LOADED_HIGH))
		return cl_fail(err, 0, "kernel is not loaded high (zImage): unsupported");
	o->xloadflags = le16(buf + BP_XLOADFLAGS);
	if (!(o->xloadflags & XLF_KERNEL_64))
		return cl_fail(err, 0, "kernel has no 64-bit entry point (XLF_KERNEL_64)");
	sects = buf[BP_SETUP_SECTS] ? buf[BP_SETUP_SECTS] : 4;
	o->setup_size = (size_t)(sects + 1) * 512;
	if (o->setup_size >= len)
		return cl_fail(err, 0, "bzImage truncated: %zu bytes, setup alone is %zu", len,
			       o->setup_size);
	syssize = le32(buf + BP_SYSSIZE);
	if (syssize == 0)
		return cl_fail(err, 0, "bzImage has an empty kernel (syssize 0)");
	o->kernel_off = o->setup_size;
	if ((uint64_t)syssize * 16 > len - o->setup_size)
		return cl_fail(err, 0, "bzImage truncated: kernel needs %llu bytes, file has %zu",
			       (unsigned long long)syssize * 16, len - o->setup_size);
	o->kernel_size = (size_t)syssize * 16;
	o->initrd_addr_max = le32(buf + BP_INITRD_ADDR_MAX);
	o->cmdline_size = le32(buf + BP_CMDLINE_SIZE);
	o->init_size = o->hdr_end >= BP_INIT_SIZE + 4 ? le32(buf + BP_INIT_SIZE) : 0;
	if (o->init_size < o->kernel_size)
		o->init_size = (uint32_t)o->kernel_size;

	vo = le16(buf + BP_KERNEL_VERSION);
	if (vo) {
		size_t start = vo + 0x200, n = 0;

		if (start >= o->setup_size)
			return cl_fail(err, 0, "kernel_version string outside the setup code");
		while (start + n < o->setup_size && buf[start + n] && n + 1 < sizeof(o->version))
			n++;
		memcpy(o->version, buf + start, n);
		o->version[n] = 0;
	}
	o->testguest =
	    !strncmp(o->version, CL_TESTGUEST_SIGNATURE, sizeof(CL_TESTGUEST_SIGNATURE) - 1);
	return 0;
}

/* Walk the notes of one PT_NOTE segment looking for XEN_ELFNOTE_PHYS32_ENTRY
 * (and for the "CLOISON" note that marks our test guest). */
static int find_pvh_note(const uint8_t *p, uint64_t n, uint32_t *entry, bool *testguest)
{
	uint64_t off = 0;
	int found = 0;

	while (n - off >= 12) {
		uint32_t namesz = le32(p + off), descsz = le32(p + off + 4),
			 type = le32(p + off + 8);
		uint64_t name_al = ((uint64_t)namesz + 3) & ~3ULL;
		uint64_t desc_al = ((uint64_t)descsz + 3) & ~3ULL;
		const uint8_t *name = p + off + 12;

		if (name_al > n - off - 12 || desc_al > n - off - 12 - name_al)
			return -1;
		if (namesz == 4 && !memcmp(name, "Xen", 4) && type == 18 /* PHYS32_ENTRY */ &&
		    descsz >= 4) {
			*entry = le32(name + name_al);
			found = 1;
		}
		if (namesz == 8 && !memcmp(name, "CLOISON", 8) &&
		    descsz >= sizeof(CL_TESTGUEST_SIGNATURE) - 1 &&
		    !memcmp(name + name_al, CL_TESTGUEST_SIGNATURE,
			    sizeof(CL_TESTGUEST_SIGNATURE) - 1))
			*testguest = true;
		off += 12 + name_al + desc_al;
	}
	return found;
}

static int parse_elf(const uint8_t *buf, size_t len, struct cl_boot_image *o, struct cl_err *err)
{
	uint64_t phoff;
	unsigned phnum, i;
	bool have_entry = false;

	if (len < sizeof(Elf64_Ehdr) || buf[EI_CLASS] != ELFCLASS64 || buf[EI_DATA] != ELFDATA2LSB)
		return cl_fail(err, 0, "ELF kernel is not a little-endian ELF64 file");
	if (le16(buf + offsetof(Elf64_Ehdr, e_machine)) != EM_X86_64)
		return cl_fail(err, 0, "ELF kernel is not for x86-64");
	if (le16(buf + offsetof(Elf64_Ehdr, e_phentsize)) != sizeof(Elf64_Phdr))
		return cl_fail(err, 0, "ELF kernel has odd program headers");
	o->kind = CL_BOOT_PVH;
	phoff = le64(buf + offsetof(Elf64_Ehdr, e_phoff));
	phnum = le16(buf + offsetof(Elf64_Ehdr, e_phnum));
	if (phoff > len || (uint64_t)phnum * sizeof(Elf64_Phdr) > len - phoff)
		return cl_fail(err, 0, "ELF kernel truncated: program headers past the end");
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = buf + phoff + (uint64_t)i * sizeof(Elf64_Phdr);
		uint32_t type = le32(ph + offsetof(Elf64_Phdr, p_type));
		uint64_t off = le64(ph + offsetof(Elf64_Phdr, p_offset));
		uint64_t filesz = le64(ph + offsetof(Elf64_Phdr, p_filesz));
		uint64_t memsz = le64(ph + offsetof(Elf64_Phdr, p_memsz));
		uint64_t paddr = le64(ph + offsetof(Elf64_Phdr, p_paddr));

		if (type != PT_LOAD && type != PT_NOTE)
			continue;
		if (off > len || filesz > len - off)
			return cl_fail(err, 0, "ELF kernel truncated: segment %u past the end", i);
		if (type == PT_NOTE) {
			int r = find_pvh_note(buf + off, filesz, &o->pvh_entry, &o->testguest);

			if (r < 0)
				return cl_fail(err, 0, "ELF kernel has a malformed note segment");
			have_entry |= r > 0;
			continue;
		}
		if (filesz > memsz || paddr + memsz < paddr)
			return cl_fail(err, 0, "ELF kernel segment %u has bad sizes", i);
		if (o->nseg == CL_BOOT_MAX_SEGS)
			return cl_fail(err, 0, "ELF kernel has too many segments");
		o->seg[o->nseg++] = (struct cl_boot_seg){off, filesz, memsz, paddr};
	}
	if (!have_entry)
		return cl_fail(err, 0,
			       "ELF kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");
	if (!o->nseg)
		return cl_fail(err, 0, "ELF kernel has no loadable segment");
	return 0;
}

int cl_boot_image_parse(const uint8_t *buf, size_t len, struct cl_boot_image *out,
			struct cl_err *err)
{
	memset(out, 0, sizeof(*out));
	if (len >= 4 && !memcmp(buf, ELFMAG, SELFMAG))
		return parse_elf(buf, len, out, err);
	if (len >= BP_HEADER + 4 && !memcmp(buf + BP_HEADER, "HdrS", 4))
		return parse_bzimage(buf, len, out, err);
	return cl_fail(err, 0, "not a Linux kernel image (no bzImage \"HdrS\" header, not ELF)");
}
