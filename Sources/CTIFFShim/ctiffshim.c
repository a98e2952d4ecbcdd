#include "CTIFFShim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

struct ovtiff {
    TIFF *tif;
    char message[OVTIFF_MESSAGE_CAPACITY];
    /* In-memory source (NULL for files). */
    unsigned char *bytes;
    size_t count;
    size_t position;
};

/* Keeps the first error (later ones are usually consequences of it); never prints. */
static int ovtiff_on_error(TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap) {
    (void)tif;
    (void)module;
    char *message = (char *)user_data;
    if (message && message[0] == '\0') vsnprintf(message, OVTIFF_MESSAGE_CAPACITY, fmt, ap);
    return 1; /* handled: the global handler (stderr) is not called */
}

/* Warnings (unknown tags, odd but readable files) are dropped: they are not errors of the labels. */
static int ovtiff_on_warning(TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap) {
    (void)tif;
    (void)user_data;
    (void)module;
    (void)fmt;
    (void)ap;
    return 1;
}

static tmsize_t ovtiff_memory_read(thandle_t handle, void *buffer, tmsize_t size) {
    ovtiff *file = (ovtiff *)handle;
    if (size <= 0 || file->position >= file->count) return 0;
    size_t available = file->count - file->position;
    size_t n = (size_t)size < available ? (size_t)size : available;
    memcpy(buffer, file->bytes + file->position, n);
    file->position += n;
    return (tmsize_t)n;
}

static tmsize_t ovtiff_memory_write(thandle_t handle, void *buffer, tmsize_t size) {
    (void)handle;
    (void)buffer;
    (void)size;
    return -1;
}

static toff_t ovtiff_memory_seek(thandle_t handle, toff_t offset, int whence) {
    ovtiff *file = (ovtiff *)handle;
    uint64_t base = whence == SEEK_CUR ? file->position : whence == SEEK_END ? file->count : 0;
    uint64_t target = base + offset;
    file->position = (size_t)target;
    return target;
}

static int ovtiff_memory_close(thandle_t handle) {
    (void)handle;
    return 0;
}

static toff_t ovtiff_memory_size(thandle_t handle) { return ((ovtiff *)handle)->count; }

static int ovtiff_memory_map(thandle_t handle, void **base, toff_t *size) {
    (void)handle;
    (void)base;
    (void)size;
    return 0;
}

static void ovtiff_memory_unmap(thandle_t handle, void *base, toff_t size) {
    (void)handle;
    (void)base;
    (void)size;
}

static TIFFOpenOptions *ovtiff_options(ovtiff *file) {
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    if (!options) return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(options, ovtiff_on_error, file->message);
    TIFFOpenOptionsSetWarningHandlerExtR(options, ovtiff_on_warning, NULL);
    return options;
}

ovtiff *ovtiff_open_memory(const void *bytes, size_t count, const char *name, char *message, size_t capacity) {
    ovtiff *file = calloc(1, sizeof(ovtiff));
    TIFFOpenOptions *options = file ? ovtiff_options(file) : NULL;
    if (file) file->bytes = malloc(count ? count : 1);
    if (!file || !options || !file->bytes) {
        if (options) TIFFOpenOptionsFree(options);
        if (file) free(file->bytes);
        free(file);
        snprintf(message, capacity, "out of memory");
        return NULL;
    }
    memcpy(file->bytes, bytes, count);
    file->count = count;
    file->tif = TIFFClientOpenExt(name, "rm", (thandle_t)file, ovtiff_memory_read, ovtiff_memory_write,
                                  ovtiff_memory_seek, ovtiff_memory_close, ovtiff_memory_size, ovtiff_memory_map,
                                  ovtiff_memory_unmap, options);
    TIFFOpenOptionsFree(options);
    if (!file->tif) {
        snprintf(message, capacity, "%s", file->message[0] ? file->message : "not a readable TIFF");
        free(file->bytes);
        free(file);
        return NULL;
    }
    return file;
}

ovtiff *ovtiff_open(const char *path, char *message, size_t capacity) {
    ovtiff *file = calloc(1, sizeof(ovtiff));
    if (!file) {
        snprintf(message, capacity, "out of memory");
        return NULL;
    }
    TIFFOpenOptions *options = ovtiff_options(file);
    if (!options) {
        free(file);
        snprintf(message, capacity, "out of memory");
        return NULL;
    }
    /* "m": no memory mapping, so a truncated file is an error rather than a SIGBUS. */
    file->tif = TIFFOpenExt(path, "rm", options);
    TIFFOpenOptionsFree(options);
    if (!file->tif) {
        snprintf(message, capacity, "%s", file->message[0] ? file->message : "cannot open the file");
        free(file);
        return NULL;
    }
    return file;
}

void ovtiff_close(ovtiff *file) {
    if (!file) return;
    if (file->tif) TIFFClose(file->tif);
    free(file->bytes);
    free(file);
}

const char *ovtiff_message(const ovtiff *file) { return file->message; }

int ovtiff_get_info(ovtiff *file, ovtiff_info *info) {
    TIFF *tif = file->tif;
    memset(info, 0, sizeof(*info));
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &info->width)) return -1;
    if (!TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &info->height)) return -1;
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &info->bits_per_sample);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &info->samples_per_pixel);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &info->sample_format);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &info->planar_config);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &info->compression);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &info->photometric)) info->photometric = 0xFFFF;
    info->is_tiled = TIFFIsTiled(tif);
    info->is_bigtiff = TIFFIsBigTIFF(tif);
    if (info->is_tiled) {
        TIFFGetField(tif, TIFFTAG_TILEWIDTH, &info->tile_width);
        TIFFGetField(tif, TIFFTAG_TILELENGTH, &info->tile_length);
        info->tile_size = (size_t)TIFFTileSize(tif);
    } else {
        TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &info->rows_per_strip);
        if (info->rows_per_strip == 0 || info->rows_per_strip > info->height) info->rows_per_strip = info->height;
        info->strip_size = (size_t)TIFFStripSize(tif);
    }
    uint16_t *red = NULL, *green = NULL, *blue = NULL;
    if (TIFFGetField(tif, TIFFTAG_COLORMAP, &red, &green, &blue) && red && green && blue) {
        info->has_colormap = 1;
        info->colormap_red = red;
        info->colormap_green = green;
        info->colormap_blue = blue;
    }
    info->scanline_size = (size_t)TIFFScanlineSize(tif);
    info->codec_configured = TIFFIsCODECConfigured(info->compression);
    info->directory_count = TIFFNumberOfDirectories(tif);
    return 0;
}

/* Each read reports its own first error, not one left over from an earlier call. */
long ovtiff_read_strip(ovtiff *file, uint32_t index, void *buffer, size_t size) {
    file->message[0] = '\0';
    tmsize_t got = TIFFReadEncodedStrip(file->tif, index, buffer, (tmsize_t)size);
    return got < 0 ? -1 : (long)got;
}

long ovtiff_read_scanline(ovtiff *file, uint32_t row, uint16_t plane, void *buffer) {
    file->message[0] = '\0';
    return TIFFReadScanline(file->tif, buffer, row, plane) < 0 ? -1 : 1;
}

long ovtiff_read_tile(ovtiff *file, uint32_t index, void *buffer, size_t size) {
    file->message[0] = '\0';
    tmsize_t got = TIFFReadEncodedTile(file->tif, index, buffer, (tmsize_t)size);
    return got < 0 ? -1 : (long)got;
}

/* Reads a tag's raw array whatever way libtiff declares it (known or anonymous field). */
static int ovtiff_raw(TIFF *tif, uint32_t tag, const TIFFField **field, uint32_t *count, void **data) {
    *field = TIFFFindField(tif, tag, TIFF_ANY);
    if (!*field) return 0;
    if (TIFFFieldPassCount(*field)) {
        if (TIFFFieldReadCount(*field) == TIFF_VARIABLE2) {
            uint32_t n = 0;
            if (!TIFFGetField(tif, tag, &n, data)) return 0;
            *count = n;
        } else {
            uint16_t n = 0;
            if (!TIFFGetField(tif, tag, &n, data)) return 0;
            *count = n;
        }
        return 1;
    }
    /* Fixed-count or ASCII field: a pointer to the values. */
    if (!TIFFGetField(tif, tag, data)) return 0;
    int fixed = TIFFFieldReadCount(*field);
    *count = fixed > 0 ? (uint32_t)fixed : 1;
    return 1;
}

long ovtiff_get_numbers(ovtiff *file, uint32_t tag, double **values) {
    const TIFFField *field = NULL;
    uint32_t count = 0;
    void *data = NULL;
    *values = NULL;
    if (!ovtiff_raw(file->tif, tag, &field, &count, &data) || !data) return -1;
    double *out = malloc(sizeof(double) * (count ? count : 1));
    if (!out) return -1;
    for (uint32_t i = 0; i < count; i++) {
        switch (TIFFFieldDataType(field)) {
        case TIFF_DOUBLE: out[i] = ((const double *)data)[i]; break;
        case TIFF_FLOAT: out[i] = ((const float *)data)[i]; break;
        case TIFF_SHORT: out[i] = ((const uint16_t *)data)[i]; break;
        case TIFF_SSHORT: out[i] = ((const int16_t *)data)[i]; break;
        case TIFF_LONG: case TIFF_IFD: out[i] = ((const uint32_t *)data)[i]; break;
        case TIFF_SLONG: out[i] = ((const int32_t *)data)[i]; break;
        case TIFF_BYTE: case TIFF_UNDEFINED: out[i] = ((const uint8_t *)data)[i]; break;
        case TIFF_SBYTE: out[i] = ((const int8_t *)data)[i]; break;
        case TIFF_LONG8: case TIFF_IFD8: out[i] = (double)((const uint64_t *)data)[i]; break;
        case TIFF_SLONG8: out[i] = (double)((const int64_t *)data)[i]; break;
        default: free(out); return -1;
        }
    }
    *values = out;
    return (long)count;
}

long ovtiff_get_text(ovtiff *file, uint32_t tag, const char **text) {
    const TIFFField *field = NULL;
    uint32_t count = 0;
    void *data = NULL;
    *text = NULL;
    if (!ovtiff_raw(file->tif, tag, &field, &count, &data) || !data) return -1;
    if (TIFFFieldDataType(field) != TIFF_ASCII) return -1;
    *text = (const char *)data;
    return (long)strlen(*text);
}

void ovtiff_free(void *pointer) { free(pointer); }
