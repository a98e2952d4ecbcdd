#ifndef OVSEG_CPNGRAW_H
#define OVSEG_CPNGRAW_H

#include <stddef.h>
#include <stdint.h>

/// A PNG decoded to the samples the file stores: no gamma, no palette expansion,
/// no colour conversion. Sub-byte depths are unpacked to one byte per sample
/// (values kept, not scaled); 16-bit samples are stored in host byte order.
typedef struct {
    uint32_t width;
    uint32_t height;
    int channels;          /* samples per pixel: 1 gray/palette, 2 gray+alpha, 3 RGB, 4 RGBA */
    int bit_depth;         /* 8 or 16 after unpacking */
    int file_bit_depth;    /* bit depth declared in the file (1, 2, 4, 8 or 16) */
    int color_type;        /* PNG_COLOR_TYPE_* of the file */
    int interlaced;        /* 1 if the file is Adam7-interlaced */
    int palette_count;     /* number of PLTE entries (0 if none) */
    uint8_t palette[256 * 3];
    uint8_t *data;         /* malloc'ed rows, width*channels*(bit_depth/8) bytes each */
    size_t size;
} ovpng_image;

/// Result codes. 0 is success; every failure also fills the caller's error text.
enum {
    OVPNG_OK = 0,
    OVPNG_ERROR_OPEN = 1,       /* the file could not be opened or created */
    OVPNG_ERROR_SIGNATURE = 2,  /* not a PNG (empty, too short, or bad signature) */
    OVPNG_ERROR_DECODE = 3,     /* libpng error: truncated or corrupt data, bad chunk, ... */
    OVPNG_ERROR_TOO_LARGE = 4,  /* width*height exceeds max_pixels */
    OVPNG_ERROR_MEMORY = 5,     /* allocation failed */
    OVPNG_ERROR_WRITE = 6,      /* libpng or stdio error while writing */
    OVPNG_ERROR_ARGUMENT = 7    /* invalid argument (e.g. unsupported colour type) */
};

/// Decodes the file at `path`. Returns OVPNG_OK on success. On failure returns one
/// of the OVPNG_ERROR_* codes, writes a NUL-terminated message into `error` (at most
/// `error_size` bytes; `error` may be NULL) and leaves `out->data` NULL.
/// `max_pixels` bounds width*height (0 = no bound beyond the 2^20-per-side limit).
int ovpng_read(const char *path, ovpng_image *out, uint64_t max_pixels, char *error, size_t error_size);

/// Decodes a PNG held in memory (`bytes[0..<length]`), same contract as `ovpng_read`.
/// Reading past the end of the buffer is reported as the libpng error "truncated file".
int ovpng_read_memory(const uint8_t *bytes, size_t length, ovpng_image *out, uint64_t max_pixels,
                      char *error, size_t error_size);

/// A PNG file opened for reading row by row, so a large label map is never held whole.
typedef struct ovpng_stream ovpng_stream;

/// Opens the PNG at `path` and reads its header. On success `*stream` is the open reader and
/// `out` describes the image (its `data` stays NULL); an interlaced file is opened too but its
/// rows cannot be read in order (`out->interlaced`): close it and decode the file whole.
/// Same error contract as `ovpng_read`.
int ovpng_stream_open(const char *path, ovpng_stream **stream, ovpng_image *out, uint64_t max_pixels,
                      char *error, size_t error_size);

/// Decodes the next `rows` rows into `out` (rows × width × channels × bit_depth/8 bytes, the
/// layout of `ovpng_read`). After the last row the rest of the file is read and checked.
int ovpng_stream_read_rows(ovpng_stream *stream, uint32_t rows, uint8_t *out, char *error, size_t error_size);

/// Closes a reader from `ovpng_stream_open` (NULL is allowed).
void ovpng_stream_close(ovpng_stream *stream);

/// Frees the sample buffer of an image filled by `ovpng_read` / `ovpng_read_memory`.
void ovpng_free(ovpng_image *image);

/// Writes an 8-bit image. `color_type` is 0 (gray), 2 (RGB) or 3 (palette);
/// for palette images `palette` holds `palette_count` RGB triples.
/// `compression_level` is 0...9, or -1 for libpng's default.
/// Returns OVPNG_OK on success, otherwise fills `error` and returns an error code.
/// On failure the file at `path` may exist partially written; the caller removes it.
int ovpng_write8(const char *path, uint32_t width, uint32_t height, int color_type,
                 const uint8_t *samples, const uint8_t *palette, int palette_count,
                 int compression_level, char *error, size_t error_size);

/// Encodes an 8-bit RGB image into memory: on OVPNG_OK `*bytes` holds `*length` bytes of PNG
/// that the caller releases with `free`; on failure `*bytes` is NULL and `error` is filled.
int ovpng_encode_rgb8(uint32_t width, uint32_t height, const uint8_t *samples, int compression_level,
                      uint8_t **bytes, size_t *length, char *error, size_t error_size);

/// Writes a 16-bit grayscale image from host-order samples. Same contract as `ovpng_write8`.
int ovpng_write_gray16(const char *path, uint32_t width, uint32_t height,
                       const uint16_t *samples, char *error, size_t error_size);

#endif
