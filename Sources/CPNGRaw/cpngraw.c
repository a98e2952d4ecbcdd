#define _GNU_SOURCE /* open_memstream */
#include "CPNGRaw.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libpng's classic API reports errors by calling on_error, which must not return.
   We longjmp back into the function that armed the context. Everything that
   function changes after setjmp and reads in its error branch is `volatile`. */
typedef struct {
    jmp_buf jump;
    int armed;              /* setjmp has run; before that libpng handles errors itself */
    char *error;
    size_t error_size;
    char last_warning[160]; /* libpng often warns with the detail, then errors tersely */
} error_context;

static void set_error(char *error, size_t error_size, const char *message) {
    if (error && error_size > 0) snprintf(error, error_size, "%s", message);
}

static void context_init(error_context *context, char *error, size_t error_size) {
    context->armed = 0;
    context->error = error;
    context->error_size = error_size;
    context->last_warning[0] = '\0';
}

static void on_error(png_structp png, png_const_charp message) {
    error_context *context = (error_context *)png_get_error_ptr(png);
    const char *text = message ? message : "unknown libpng error";
    if (context->error && context->error_size > 0) {
        if (context->last_warning[0] != '\0') {
            snprintf(context->error, context->error_size, "%s (after libpng warning: %s)", text,
                     context->last_warning);
        } else {
            snprintf(context->error, context->error_size, "%s", text);
        }
    }
    /* Unarmed only while png_create_*_struct runs; returning then lets libpng use
       its own creation-time jump buffer instead of our uninitialised one. */
    if (context->armed) longjmp(context->jump, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
    error_context *context = (error_context *)png_get_error_ptr(png);
    snprintf(context->last_warning, sizeof context->last_warning, "%s", message ? message : "");
}

static int host_is_little_endian(void) {
    const uint16_t probe = 1;
    return *(const uint8_t *)&probe == 1;
}

/* ---------------------------------------------------------------- reading */

typedef struct {
    const uint8_t *bytes;
    size_t length;
    size_t offset;
} memory_source;

static void read_from_memory(png_structp png, png_bytep destination, png_size_t count) {
    memory_source *source = (memory_source *)png_get_io_ptr(png);
    if (source == NULL || count > source->length - source->offset) png_error(png, "truncated file");
    memcpy(destination, source->bytes + source->offset, count);
    source->offset += count;
}

/* Checks the 8-byte signature. Returns OVPNG_OK or OVPNG_ERROR_SIGNATURE. */
static int check_signature(const uint8_t *bytes, size_t available, char *error, size_t error_size) {
    char message[96];
    if (available == 0) {
        set_error(error, error_size, "not a PNG file (the file is empty)");
        return OVPNG_ERROR_SIGNATURE;
    }
    if (available < 8) {
        snprintf(message, sizeof message, "not a PNG file (only %zu bytes)", available);
        set_error(error, error_size, message);
        return OVPNG_ERROR_SIGNATURE;
    }
    if (png_sig_cmp((png_const_bytep)bytes, 0, 8) != 0) {
        set_error(error, error_size, "not a PNG file (bad signature)");
        return OVPNG_ERROR_SIGNATURE;
    }
    return OVPNG_OK;
}

/* Reads the header (after the signature), applies the layout transforms and describes the
   image in `out` (everything but `data` and `size`); returns the bytes per decoded row.
   Errors longjmp to the caller's armed context, with `*failure_code` set where it is not a
   plain decode error. Only layout transforms: unpack 1/2/4-bit samples (values kept) and
   byte-swap 16-bit samples to host order; no gamma, palette expansion or colour conversion.
   With `deinterlace` 0 an interlaced file's rows are not reassembled (streaming callers read
   such files whole instead). */
static size_t read_header(png_structp png, png_infop info, uint64_t max_pixels, int deinterlace,
                          volatile int *failure_code, ovpng_image *out) {
    png_read_info(png, info);
    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    if (max_pixels > 0 && (uint64_t)width * (uint64_t)height > max_pixels) {
        char message[160];
        snprintf(message, sizeof message, "%lu×%lu = %llu pixels", (unsigned long)width, (unsigned long)height,
                 (unsigned long long)width * (unsigned long long)height);
        *failure_code = OVPNG_ERROR_TOO_LARGE;
        png_error(png, message);
    }
    if (bit_depth < 8) png_set_packing(png);
    if (bit_depth == 16 && host_is_little_endian()) png_set_swap(png);
    if (deinterlace && interlace != PNG_INTERLACE_NONE) png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    int depth_after = png_get_bit_depth(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    if (row_bytes != (size_t)width * (size_t)channels * (size_t)(depth_after / 8))
        png_error(png, "unexpected row layout after unpacking");

    memset(out, 0, sizeof(*out));
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_colorp palette = NULL;
        int count = 0;
        if (png_get_PLTE(png, info, &palette, &count) & PNG_INFO_PLTE) {
            if (count > 256) count = 256;
            for (int i = 0; i < count; i++) {
                out->palette[3 * i] = palette[i].red;
                out->palette[3 * i + 1] = palette[i].green;
                out->palette[3 * i + 2] = palette[i].blue;
            }
            out->palette_count = count;
        }
    }
    out->width = width;
    out->height = height;
    out->channels = channels;
    out->bit_depth = depth_after;
    out->file_bit_depth = bit_depth;
    out->color_type = color_type;
    out->interlaced = interlace != PNG_INTERLACE_NONE;
    return row_bytes;
}

/* Decodes after the signature has been consumed: from `file` if non-NULL, else
   from `memory`. Does not close `file`. */
static int decode(FILE *file, memory_source *memory, ovpng_image *out, uint64_t max_pixels,
                  char *error, size_t error_size) {
    error_context context;
    context_init(&context, error, error_size);
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &context, on_error, on_warning);
    if (!png) {
        set_error(error, error_size, "libpng could not allocate a reader");
        return OVPNG_ERROR_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        set_error(error, error_size, "libpng could not allocate an info struct");
        return OVPNG_ERROR_MEMORY;
    }
    /* Changed after setjmp and read in the error branch, hence volatile. */
    uint8_t *volatile data = NULL;
    png_bytep *volatile rows = NULL;
    volatile int failure_code = OVPNG_ERROR_DECODE;
    if (setjmp(context.jump)) {
        free(rows);
        free(data);
        png_destroy_read_struct(&png, &info, NULL);
        memset(out, 0, sizeof(*out));
        return failure_code;
    }
    context.armed = 1;

    if (file) {
        png_init_io(png, file);
    } else {
        png_set_read_fn(png, memory, read_from_memory);
    }
    png_set_sig_bytes(png, 8);
    png_set_user_limits(png, 1u << 20, 1u << 20);
    size_t row_bytes = read_header(png, info, max_pixels, 1, &failure_code, out);
    png_uint_32 height = out->height;

    failure_code = OVPNG_ERROR_MEMORY;
    data = (uint8_t *)malloc(row_bytes * (size_t)height + 1);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height + 1);
    if (!data || !rows) png_error(png, "out of memory decoding image");
    failure_code = OVPNG_ERROR_DECODE;
    for (png_uint_32 y = 0; y < height; y++) rows[y] = data + (size_t)y * row_bytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);

    out->data = data;
    out->size = row_bytes * (size_t)height;
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    return OVPNG_OK;
}

int ovpng_read(const char *path, ovpng_image *out, uint64_t max_pixels, char *error, size_t error_size) {
    memset(out, 0, sizeof(*out));
    FILE *file = fopen(path, "rb");
    if (!file) {
        char message[160];
        snprintf(message, sizeof message, "cannot open file (%s)", strerror(errno));
        set_error(error, error_size, message);
        return OVPNG_ERROR_OPEN;
    }
    uint8_t signature[8];
    size_t got = fread(signature, 1, 8, file);
    if (got < 8 && ferror(file)) {
        char message[160];
        snprintf(message, sizeof message, "cannot read file (%s)", strerror(errno));
        fclose(file);
        set_error(error, error_size, message);
        return OVPNG_ERROR_OPEN;
    }
    int status = check_signature(signature, got, error, error_size);
    if (status == OVPNG_OK) status = decode(file, NULL, out, max_pixels, error, error_size);
    fclose(file);
    return status;
}

int ovpng_read_memory(const uint8_t *bytes, size_t length, ovpng_image *out, uint64_t max_pixels,
                      char *error, size_t error_size) {
    memset(out, 0, sizeof(*out));
    if (bytes == NULL) length = 0;
    int status = check_signature(bytes, length, error, error_size);
    if (status != OVPNG_OK) return status;
    memory_source source = {bytes, length, 8};
    return decode(NULL, &source, out, max_pixels, error, error_size);
}

void ovpng_free(ovpng_image *image) {
    if (image && image->data) {
        free(image->data);
        image->data = NULL;
        image->size = 0;
    }
}

/* ---------------------------------------------------------------- streaming */

struct ovpng_stream {
    error_context context;
    png_structp png;
    png_infop info;
    FILE *file;
    uint32_t height;
    uint32_t rows_read;
    size_t row_bytes;
};

void ovpng_stream_close(ovpng_stream *stream) {
    if (!stream) return;
    if (stream->png) png_destroy_read_struct(&stream->png, &stream->info, NULL);
    if (stream->file) fclose(stream->file);
    free(stream);
}

int ovpng_stream_open(const char *path, ovpng_stream **result, ovpng_image *out, uint64_t max_pixels,
                      char *error, size_t error_size) {
    *result = NULL;
    memset(out, 0, sizeof(*out));
    ovpng_stream *stream = (ovpng_stream *)calloc(1, sizeof(ovpng_stream));
    if (!stream) {
        set_error(error, error_size, "out of memory opening a PNG");
        return OVPNG_ERROR_MEMORY;
    }
    stream->file = fopen(path, "rb");
    if (!stream->file) {
        char message[160];
        snprintf(message, sizeof message, "cannot open file (%s)", strerror(errno));
        set_error(error, error_size, message);
        ovpng_stream_close(stream);
        return OVPNG_ERROR_OPEN;
    }
    uint8_t signature[8];
    size_t got = fread(signature, 1, 8, stream->file);
    int status = check_signature(signature, got, error, error_size);
    if (status != OVPNG_OK) {
        ovpng_stream_close(stream);
        return status;
    }
    context_init(&stream->context, error, error_size);
    stream->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &stream->context, on_error, on_warning);
    if (stream->png) stream->info = png_create_info_struct(stream->png);
    if (!stream->png || !stream->info) {
        set_error(error, error_size, "libpng could not allocate a reader");
        ovpng_stream_close(stream);
        return OVPNG_ERROR_MEMORY;
    }
    volatile int failure_code = OVPNG_ERROR_DECODE;
    if (setjmp(stream->context.jump)) {
        ovpng_stream_close(stream);
        memset(out, 0, sizeof(*out));
        return failure_code;
    }
    stream->context.armed = 1;
    png_init_io(stream->png, stream->file);
    png_set_sig_bytes(stream->png, 8);
    png_set_user_limits(stream->png, 1u << 20, 1u << 20);
    stream->row_bytes = read_header(stream->png, stream->info, max_pixels, 0, &failure_code, out);
    stream->height = out->height;
    stream->context.armed = 0;
    *result = stream;
    return OVPNG_OK;
}

int ovpng_stream_read_rows(ovpng_stream *stream, uint32_t rows, uint8_t *out, char *error, size_t error_size) {
    if (!stream || rows > stream->height - stream->rows_read) {
        set_error(error, error_size, "read past the last row");
        return OVPNG_ERROR_ARGUMENT;
    }
    stream->context.error = error;
    stream->context.error_size = error_size;
    if (setjmp(stream->context.jump)) {
        stream->context.armed = 0;
        return OVPNG_ERROR_DECODE;
    }
    stream->context.armed = 1;
    for (uint32_t r = 0; r < rows; r++) {
        png_read_row(stream->png, out + (size_t)r * stream->row_bytes, NULL);
    }
    stream->rows_read += rows;
    /* After the last row, read to IEND so a damaged end is the same error as in `decode`. */
    if (rows > 0 && stream->rows_read == stream->height) png_read_end(stream->png, NULL);
    stream->context.armed = 0;
    return OVPNG_OK;
}

/* ---------------------------------------------------------------- writing */

/* The FILE a writer writes to and the errno of its first failed write: libpng's own write
   function reports only "Write Error", and a full disk must be named as such. */
typedef struct {
    FILE *file;
    int failed_errno;
} write_target;

static void write_bytes(png_structp png, png_bytep data, png_size_t length) {
    write_target *target = (write_target *)png_get_io_ptr(png);
    if (fwrite(data, 1, length, target->file) != length) {
        target->failed_errno = errno ? errno : EIO;
        png_error(png, "Write Error");
    }
}

static void flush_bytes(png_structp png) {
    write_target *target = (write_target *)png_get_io_ptr(png);
    if (fflush(target->file) != 0 && target->failed_errno == 0) target->failed_errno = errno ? errno : EIO;
}

/* On a failed write the message names the system error, and errno holds it on return (the
   Swift side turns ENOSPC/EFBIG into "the disk is full" / "the file-size limit"). */
static int write_failed(char *error, size_t error_size, int code) {
    char message[160];
    snprintf(message, sizeof message, "error writing file (%s)", strerror(code));
    set_error(error, error_size, message);
    errno = code;
    return OVPNG_ERROR_WRITE;
}

static void discard_memory(char **memory) {
    if (memory && *memory) {
        free(*memory);
        *memory = NULL;
    }
}

/* Writes to the file at `path`, or with path NULL into a malloc'ed buffer returned in
   *memory / *memory_length (the caller frees it; NULL after a failure). */
static int write_any(const char *path, uint32_t width, uint32_t height, int color_type, int bit_depth,
                     const uint8_t *samples, size_t row_bytes, const uint8_t *palette, int palette_count,
                     int compression_level, int swap16, char *error, size_t error_size,
                     char **memory, size_t *memory_length) {
    if (!samples && width > 0 && height > 0) {
        set_error(error, error_size, "no sample buffer given");
        return OVPNG_ERROR_ARGUMENT;
    }
    if (memory) *memory = NULL;
    FILE *file = path ? fopen(path, "wb") : open_memstream(memory, memory_length);
    if (!file) {
        char message[160];
        snprintf(message, sizeof message, "cannot create file (%s)", strerror(errno));
        set_error(error, error_size, message);
        return OVPNG_ERROR_OPEN;
    }
    error_context context;
    context_init(&context, error, error_size);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &context, on_error, on_warning);
    if (!png) {
        fclose(file);
        discard_memory(memory);
        set_error(error, error_size, "libpng could not allocate a writer");
        return OVPNG_ERROR_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        fclose(file);
        discard_memory(memory);
        set_error(error, error_size, "libpng could not allocate an info struct");
        return OVPNG_ERROR_MEMORY;
    }
    /* Nothing read in this branch changes after setjmp (target is written through a pointer). */
    write_target target = {file, 0};
    if (setjmp(context.jump)) {
        png_destroy_write_struct(&png, &info);
        fclose(file);
        discard_memory(memory);
        if (target.failed_errno != 0) return write_failed(error, error_size, target.failed_errno);
        errno = 0;
        return OVPNG_ERROR_WRITE;
    }
    context.armed = 1;
    png_set_write_fn(png, &target, write_bytes, flush_bytes);
    if (compression_level >= 0 && compression_level <= 9) png_set_compression_level(png, compression_level);
    png_set_IHDR(png, info, width, height, bit_depth, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color entries[256];
        if (!palette || palette_count < 1 || palette_count > 256) png_error(png, "palette must have 1 to 256 entries");
        for (int i = 0; i < palette_count; i++) {
            entries[i].red = palette[3 * i];
            entries[i].green = palette[3 * i + 1];
            entries[i].blue = palette[3 * i + 2];
        }
        png_set_PLTE(png, info, entries, palette_count);
    }
    png_write_info(png, info);
    if (swap16 && host_is_little_endian()) png_set_swap(png);
    for (uint32_t y = 0; y < height; y++) {
        png_write_row(png, (png_const_bytep)(samples + (size_t)y * row_bytes));
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    /* fflush + fclose both report deferred write errors (e.g. disk full). */
    if (fflush(file) != 0 && target.failed_errno == 0) target.failed_errno = errno ? errno : EIO;
    if (fclose(file) != 0 && target.failed_errno == 0) target.failed_errno = errno ? errno : EIO;
    if (target.failed_errno != 0) {
        discard_memory(memory);
        return write_failed(error, error_size, target.failed_errno);
    }
    return OVPNG_OK;
}

int ovpng_write8(const char *path, uint32_t width, uint32_t height, int color_type,
                 const uint8_t *samples, const uint8_t *palette, int palette_count,
                 int compression_level, char *error, size_t error_size) {
    if (color_type != PNG_COLOR_TYPE_GRAY && color_type != PNG_COLOR_TYPE_RGB && color_type != PNG_COLOR_TYPE_PALETTE) {
        set_error(error, error_size, "unsupported colour type for writing");
        return OVPNG_ERROR_ARGUMENT;
    }
    size_t channels = color_type == PNG_COLOR_TYPE_RGB ? 3 : 1;
    return write_any(path, width, height, color_type, 8, samples, (size_t)width * channels, palette, palette_count,
                     compression_level, 0, error, error_size, NULL, NULL);
}

int ovpng_encode_rgb8(uint32_t width, uint32_t height, const uint8_t *samples, int compression_level,
                      uint8_t **bytes, size_t *length, char *error, size_t error_size) {
    char *memory = NULL;
    size_t size = 0;
    int status = write_any(NULL, width, height, PNG_COLOR_TYPE_RGB, 8, samples, (size_t)width * 3, NULL, 0,
                           compression_level, 0, error, error_size, &memory, &size);
    *bytes = (uint8_t *)memory;
    *length = status == OVPNG_OK ? size : 0;
    return status;
}

int ovpng_write_gray16(const char *path, uint32_t width, uint32_t height,
                       const uint16_t *samples, char *error, size_t error_size) {
    return write_any(path, width, height, PNG_COLOR_TYPE_GRAY, 16, (const uint8_t *)samples, (size_t)width * 2,
                     NULL, 0, -1, 1, error, error_size, NULL, NULL);
}
