#include "CPNGRaw.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    jmp_buf jump;
    char *error;
    size_t error_size;
} error_context;

static void on_error(png_structp png, png_const_charp message) {
    error_context *context = (error_context *)png_get_error_ptr(png);
    snprintf(context->error, context->error_size, "%s", message ? message : "unknown libpng error");
    longjmp(context->jump, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void set_error(char *error, size_t error_size, const char *message) {
    if (error && error_size > 0) snprintf(error, error_size, "%s", message);
}

int ovpng_read(const char *path, ovpng_image *out, uint64_t max_pixels, char *error, size_t error_size) {
    memset(out, 0, sizeof(*out));
    FILE *file = fopen(path, "rb");
    if (!file) {
        set_error(error, error_size, "cannot open file");
        return 1;
    }
    unsigned char signature[8];
    if (fread(signature, 1, 8, file) != 8 || png_sig_cmp(signature, 0, 8) != 0) {
        fclose(file);
        set_error(error, error_size, "not a PNG file (bad signature)");
        return 1;
    }
    error_context context;
    context.error = error;
    context.error_size = error_size;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &context, on_error, on_warning);
    if (!png) {
        fclose(file);
        set_error(error, error_size, "libpng could not allocate a reader");
        return 1;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        fclose(file);
        set_error(error, error_size, "libpng could not allocate an info struct");
        return 1;
    }
    uint8_t *volatile data = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(context.jump)) {
        free(rows);
        free(data);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(file);
        memset(out, 0, sizeof(*out));
        return 1;
    }
    png_init_io(png, file);
    png_set_sig_bytes(png, 8);
    png_set_user_limits(png, 1u << 20, 1u << 20);
    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    if (max_pixels > 0 && (uint64_t)width * (uint64_t)height > max_pixels) {
        png_error(png, "image is larger than the allowed pixel count");
    }
    out->file_bit_depth = bit_depth;
    if (bit_depth < 8) png_set_packing(png);
    if (bit_depth == 16) png_set_swap(png);
    if (interlace != PNG_INTERLACE_NONE) png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    int depth_after = png_get_bit_depth(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    size_t expected_row = (size_t)width * (size_t)channels * (size_t)(depth_after / 8);
    if (row_bytes != expected_row) png_error(png, "unexpected row layout after unpacking");

    data = (uint8_t *)malloc(row_bytes * (size_t)height + 1);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height + 1);
    if (!data || !rows) png_error(png, "out of memory decoding image");
    for (png_uint_32 y = 0; y < height; y++) rows[y] = data + (size_t)y * row_bytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);

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
    out->color_type = color_type;
    out->data = data;
    out->size = row_bytes * (size_t)height;
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(file);
    return 0;
}

void ovpng_free(ovpng_image *image) {
    if (image && image->data) {
        free(image->data);
        image->data = NULL;
        image->size = 0;
    }
}

static int write_any(const char *path, uint32_t width, uint32_t height, int color_type, int bit_depth,
                     const uint8_t *samples, size_t row_bytes, const uint8_t *palette, int palette_count,
                     int compression_level, int swap16, char *error, size_t error_size) {
    FILE *file = fopen(path, "wb");
    if (!file) {
        set_error(error, error_size, "cannot create file");
        return 1;
    }
    error_context context;
    context.error = error;
    context.error_size = error_size;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &context, on_error, on_warning);
    if (!png) {
        fclose(file);
        set_error(error, error_size, "libpng could not allocate a writer");
        return 1;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        fclose(file);
        set_error(error, error_size, "libpng could not allocate an info struct");
        return 1;
    }
    if (setjmp(context.jump)) {
        png_destroy_write_struct(&png, &info);
        fclose(file);
        return 1;
    }
    png_init_io(png, file);
    if (compression_level >= 0) png_set_compression_level(png, compression_level);
    png_set_IHDR(png, info, width, height, bit_depth, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color entries[256];
        if (palette_count < 1 || palette_count > 256) png_error(png, "palette must have 1 to 256 entries");
        for (int i = 0; i < palette_count; i++) {
            entries[i].red = palette[3 * i];
            entries[i].green = palette[3 * i + 1];
            entries[i].blue = palette[3 * i + 2];
        }
        png_set_PLTE(png, info, entries, palette_count);
    }
    png_write_info(png, info);
    if (swap16) png_set_swap(png);
    for (uint32_t y = 0; y < height; y++) {
        png_write_row(png, (png_const_bytep)(samples + (size_t)y * row_bytes));
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fclose(file) != 0) {
        set_error(error, error_size, "error closing file");
        return 1;
    }
    return 0;
}

int ovpng_write8(const char *path, uint32_t width, uint32_t height, int color_type,
                 const uint8_t *samples, const uint8_t *palette, int palette_count,
                 int compression_level, char *error, size_t error_size) {
    int channels = color_type == PNG_COLOR_TYPE_RGB ? 3 : 1;
    if (color_type != PNG_COLOR_TYPE_GRAY && color_type != PNG_COLOR_TYPE_RGB && color_type != PNG_COLOR_TYPE_PALETTE) {
        set_error(error, error_size, "unsupported colour type for writing");
        return 1;
    }
    return write_any(path, width, height, color_type, 8, samples, (size_t)width * channels, palette, palette_count,
                     compression_level, 0, error, error_size);
}

int ovpng_write_gray16(const char *path, uint32_t width, uint32_t height,
                       const uint16_t *samples, char *error, size_t error_size) {
    return write_any(path, width, height, PNG_COLOR_TYPE_GRAY, 16, (const uint8_t *)samples, (size_t)width * 2,
                     NULL, 0, -1, 1, error, error_size);
}
