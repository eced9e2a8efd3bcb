/* Pack a flat 64-bit image (linked at 1 MiB, entry at +0x200) as a bzImage:
 * boot sector + one setup sector holding the setup header (protocol 2.15,
 * LOADED_HIGH, XLF_KERNEL_64), then the image padded to 16 bytes.  The
 * kernel_version string marks it as cloison's test guest.
 *   mkbzimage FLAT OUT */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/boot_image.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

int main(int argc, char **argv)
{
	static uint8_t setup[1024], img[4 << 20];
	const char *ver = CL_TESTGUEST_SIGNATURE " 1.0";
	size_t n, padded;
	FILE *in, *out;

	if (argc != 3) {
		fprintf(stderr, "usage: mkbzimage FLAT OUT\n");
		return 2;
	}
	in = fopen(argv[1], "rb");
	if (!in) {
		perror(argv[1]);
		return 1;
	}
	n = fread(img, 1, sizeof(img), in);
	fclose(in);
	if (n == 0 || n == sizeof(img)) {
		fprintf(stderr, "mkbzimage: %s empty or too large\n", argv[1]);
		return 1;
	}
	padded = (n + 15) & ~(size_t)15;

	setup[BP_SETUP_SECTS] = 1;
	put32(setup + BP_SYSSIZE, (uint32_t)(padded / 16));
	put16(setup + BP_BOOT_FLAG, 0xaa55);
	setup[BP_JUMP] = 0xeb; /* jmp over the header to 0x268 */
	setup[BP_JUMP + 1] = 0x268 - 0x202;
	memcpy(setup + BP_HEADER, "HdrS", 4);
	put16(setup + BP_VERSION, 0x020f);
	put16(setup + BP_KERNEL_VERSION, 0x300 - 0x200);
	setup[BP_LOADFLAGS] = LOADFLAG_LOADED_HIGH;
	put32(setup + 0x214, 0x100000); /* code32_start */
	put32(setup + BP_INITRD_ADDR_MAX, 0x7fffffff);
	put32(setup + BP_KERNEL_ALIGNMENT, 0x200000);
	put16(setup + BP_XLOADFLAGS, XLF_KERNEL_64);
	put32(setup + BP_CMDLINE_SIZE, 2047);
	put32(setup + BP_INIT_SIZE, (uint32_t)((padded + (256 << 10) + 4095) & ~4095u));
	memcpy(setup + 0x300, ver, strlen(ver) + 1);

	out = fopen(argv[2], "wb");
	if (!out) {
		perror(argv[2]);
		return 1;
	}
	memset(img + n, 0, padded - n);
	if (fwrite(setup, 1, sizeof(setup), out) != sizeof(setup) ||
	    fwrite(img, 1, padded, out) != padded || fclose(out)) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
