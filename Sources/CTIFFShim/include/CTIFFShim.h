#ifndef CTIFFSHIM_H
#define CTIFFSHIM_H

#include <stddef.h>
#include <stdint.h>

/* A libtiff handle with its own error buffer: libtiff reports errors through printf-style
   handler callbacks (va_list), which Swift cannot host, and TIFFGetField is variadic. This
   shim opens files with per-handle handlers (libtiff >= 4.5), keeps the first error message,
   drops warnings, and reads the fields the label reader needs into plain structs. */
typedef struct ovtiff ovtiff;

#define OVTIFF_MESSAGE_CAPACITY 512

/* What the first directory (IFD) of a file declares. */
typedef struct {
    uint32_t width;
    uint32_t height;
    uint16_t bits_per_sample;
    uint16_t samples_per_pixel;
    uint16_t sample_format;   /* 1 uint, 2 int, 3 float (SAMPLEFORMAT_*) */
    uint16_t photometric;     /* PHOTOMETRIC_* */
    uint16_t planar_config;   /* 1 contiguous, 2 separate */
    uint16_t compression;     /* COMPRESSION_* */
    int is_tiled;
    int is_bigtiff;
    uint32_t tile_width;      /* tiled files */
    uint32_t tile_length;
    uint32_t rows_per_strip;  /* strip files (clamped to height) */
    uint32_t directory_count; /* images (IFDs) in the main chain */
    int has_colormap;
    const uint16_t *colormap_red;   /* 1 << bits_per_sample entries each, owned by libtiff */
    const uint16_t *colormap_green;
    const uint16_t *colormap_blue;
    size_t strip_size;        /* TIFFStripSize / TIFFTileSize: bytes of one decoded strip or tile */
    size_t tile_size;
    size_t scanline_size;     /* TIFFScanlineSize: bytes of one decoded row (one plane when separate) */
    int codec_configured;     /* whether this libtiff can decode the compression */
} ovtiff_info;

/* Opens a TIFF held in memory (the bytes are copied); `name` is used in libtiff's messages. */
ovtiff *ovtiff_open_memory(const void *bytes, size_t count, const char *name, char *message, size_t capacity);
/* Opens `path` read-only; on failure returns NULL and writes libtiff's reason into `message`. */
ovtiff *ovtiff_open(const char *path, char *message, size_t capacity);
void ovtiff_close(ovtiff *file);
/* The first error libtiff reported on this handle ("" when none). */
const char *ovtiff_message(const ovtiff *file);
/* Fills `info` from the current (first) directory; 0 on success. */
int ovtiff_get_info(ovtiff *file, ovtiff_info *info);
/* Decodes strip or tile `index` into `buffer`; returns the bytes decoded or -1 (see ovtiff_message). */
long ovtiff_read_strip(ovtiff *file, uint32_t index, void *buffer, size_t size);
/* Decodes row `row` of plane `plane` (sequential use: rows in increasing order). */
long ovtiff_read_scanline(ovtiff *file, uint32_t row, uint16_t plane, void *buffer);
long ovtiff_read_tile(ovtiff *file, uint32_t index, void *buffer, size_t size);

/* A tag's values converted to doubles (numeric tags) or its text (ASCII tags), for tags libtiff
   may only know as anonymous fields (e.g. GeoTIFF's). Returns the value count (-1 absent).
   `values`/`text` are owned by libtiff (text) or malloc'd (values, free with ovtiff_free). */
long ovtiff_get_numbers(ovtiff *file, uint32_t tag, double **values);
long ovtiff_get_text(ovtiff *file, uint32_t tag, const char **text);
void ovtiff_free(void *pointer);

#endif
