// The stb_image decoder, compiled into the fuzz targets with their sanitizers and coverage.
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
