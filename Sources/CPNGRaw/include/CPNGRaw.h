#ifndef OVSEG_CPNGRAW_H
#define OVSEG_CPNGRAW_H

#include <stddef.h>
#include <stdint.h>

/// A PNG decoded to the samples the file stores: no gamma, no palette expansion,
/// no colour conversion. Sub-byte depths are unpacked to one byte per sample;
/// 16-bit samples are stored in host (little-endian) order.
typedef struct {
    uint32_t width;
    uint32_t height;
    int channels;          /* samples per pixel: 1 gray/palette, 2 gray+alpha, 3 RGB, 4 RGBA */
    int bit_depth;         /* 8 or 16 after unpacking */
    int file_bit_depth;    /* bit depth declared in the file (1, 2, 4, 8 or 16) */
    int color_type;        /* PNG_COLOR_TYPE_* of the file */
    int palette_count;     /* number of PLTE entries (0 if none) */
    uint8_t palette[256 * 3];
    uint8_t *data;         /* malloc'ed rows, width*channels*(bit_depth/8) bytes each */
    size_t size;
} ovpng_image;

/// Decodes `path`. Returns 0 on success. On failure returns non-zero, writes a
/// NUL-terminated message into `error` (at most `error_size` bytes) and leaves
/// `out->data` NULL. `max_pixels` bounds width*height (0 = no bound beyond libpng's).
int ovpng_read(const char *path, ovpng_image *out, uint64_t max_pixels, char *error, size_t error_size);

/// Frees the sample buffer of an image filled by `ovpng_read`.
void ovpng_free(ovpng_image *image);

/// Writes an 8-bit image. `color_type` is 0 (gray), 2 (RGB) or 3 (palette);
/// for palette images `palette` holds `palette_count` RGB triples.
/// Returns 0 on success, otherwise fills `error` and returns non-zero.
int ovpng_write8(const char *path, uint32_t width, uint32_t height, int color_type,
                 const uint8_t *samples, const uint8_t *palette, int palette_count,
                 int compression_level, char *error, size_t error_size);

/// Writes a 16-bit grayscale image from host-order samples.
int ovpng_write_gray16(const char *path, uint32_t width, uint32_t height,
                       const uint16_t *samples, char *error, size_t error_size);

#endif
