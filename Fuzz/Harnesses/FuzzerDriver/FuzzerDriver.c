// Header-only target: see include/FuzzerDriver.h.
