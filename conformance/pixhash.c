/* pixhash: the SPEC §9 hash of a decoded picture, for conformance/run.sh.
 *   pixhash FILE.ppm|FILE.pgm   XXH3-64 of the RGB pixels (gray: R = G = B)
 *   pixhash -b FILE             XXH3-64 of the file's bytes
 * Prints "xxh3:<16 hex>" as train/refdec.py does. Reads the binary PPM/PGM
 * (P6/P5, maxval 255) that dlic-dec writes; '-' is stdin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    size_t cap = 1 << 20, n = 0, got;
    unsigned char *buf = f ? malloc(cap) : NULL;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *b = realloc(buf, cap *= 2);
            if (!b)
                free(buf);
            buf = b;
        }
    }
    if (f && (ferror(f) || !buf)) {
        free(buf);
        buf = NULL;
    }
    if (f && f != stdin)
        fclose(f);
    *size = n;
    return buf;
}

/* One header number after whitespace and comments; -1 on error. */
static long number(const unsigned char *d, size_t size, size_t *pos)
{
    long v = -1;
    for (;;) {
        while (*pos < size && strchr(" \t\r\n", d[*pos]))
            (*pos)++;
        if (*pos < size && d[*pos] == '#') {
            while (*pos < size && d[*pos] != '\n')
                (*pos)++;
            continue;
        }
        break;
    }
    while (*pos < size && d[*pos] >= '0' && d[*pos] <= '9' && v < 1000000)
        v = (v < 0 ? 0 : v * 10) + (d[(*pos)++] - '0');
    return v;
}

int main(int argc, char **argv)
{
    int bytes = argc == 3 && !strcmp(argv[1], "-b");
    if (argc != 2 + bytes) {
        fprintf(stderr, "usage: pixhash FILE.ppm|FILE.pgm | pixhash -b FILE\n");
        return 2;
    }
    const char *path = argv[1 + bytes];
    size_t size, pos = 2;
    unsigned char *d = slurp(path, &size);
    if (!d) {
        fprintf(stderr, "pixhash: %s: cannot read\n", path);
        return 1;
    }
    if (bytes) {
        printf("xxh3:%016llx\n", (unsigned long long)XXH3_64bits(d, size));
        free(d);
        return 0;
    }
    int ch = size >= 2 && d[0] == 'P' ? (d[1] == '6' ? 3 : d[1] == '5' ? 1 : 0) : 0;
    long w = number(d, size, &pos), h = number(d, size, &pos);
    long maxval = number(d, size, &pos);
    if (!ch || w <= 0 || h <= 0 || maxval != 255 || pos >= size ||
        size - pos - 1 != (size_t)w * (size_t)h * (size_t)ch) {
        fprintf(stderr, "pixhash: %s: not an 8-bit binary PPM/PGM\n", path);
        free(d);
        return 1;
    }
    const unsigned char *px = d + pos + 1;
    unsigned char *rgb = (unsigned char *)px;
    if (ch == 1) {
        rgb = malloc((size_t)w * (size_t)h * 3);
        if (!rgb) {
            free(d);
            return 1;
        }
        for (size_t i = 0; i < (size_t)w * (size_t)h; i++)
            rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = px[i];
    }
    printf("xxh3:%016llx\n",
           (unsigned long long)XXH3_64bits(rgb, (size_t)w * (size_t)h * 3));
    if (rgb != px)
        free(rgb);
    free(d);
    return 0;
}
