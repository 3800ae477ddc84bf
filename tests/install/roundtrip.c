/* A program built against the installed libfacet (pkg-config, or find_package(facet)): compresses
 * raw 8-bit pixels, decodes the file, inspects it and drops a factor.
 *   roundtrip RAW WIDTH HEIGHT CHANNELS QUALITY OUT.fct OUT.raw
 * Exit 0 on success; every failure prints the library's status and message. */
#include <facet/facet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check(facet_status s, const char* what) {
  if (s == FACET_OK) return 0;
  fprintf(stderr, "%s: %s: %s\n", what, facet_status_name(s), facet_last_error());
  return 1;
}

static unsigned char* read_all(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  unsigned char* data;
  long n;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  data = (unsigned char*)malloc(n > 0 ? (size_t)n : 1);
  *size = fread(data, 1, (size_t)n, f);
  fclose(f);
  return data;
}

static int write_all(const char* path, const unsigned char* data, size_t size) {
  FILE* f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size) return 1;
  return fclose(f) != 0;
}

int main(int argc, char** argv) {
  facet_model* model = NULL;
  facet_compress_options copt;
  facet_decompress_options dopt;
  facet_file_info* info = NULL;
  facet_factor factor;
  unsigned char *raw, *fct = NULL, *pixels = NULL, *thin = NULL, *into;
  size_t raw_size, fct_size = 0, thin_size = 0, i;
  uint32_t width, height, channels, w = 0, h = 0, c = 0;
  const char* drop[] = {"chroma"};
  if (argc != 8) {
    fprintf(stderr, "usage: roundtrip RAW WIDTH HEIGHT CHANNELS QUALITY OUT.fct OUT.raw\n");
    return 2;
  }
  printf("libfacet %s (header %d)\n", facet_version_string(), FACET_VERSION_NUMBER);
  if (facet_version_number() != FACET_VERSION_NUMBER) return 1;
  width = (uint32_t)atoi(argv[2]);
  height = (uint32_t)atoi(argv[3]);
  channels = (uint32_t)atoi(argv[4]);
  raw = read_all(argv[1], &raw_size);
  if (!raw || raw_size != (size_t)width * height * channels) return 1;
  if (check(facet_model_load_default(&model), "load the default model")) return 1;
  printf("model %s\n", facet_model_id(model));

  facet_compress_options_init(&copt);
  copt.quality = atof(argv[5]);
  copt.threads = 2;
  if (check(facet_compress(model, raw, width, height, channels, 0, &copt, &fct, &fct_size), "compress")) return 1;
  if (write_all(argv[6], fct, fct_size)) return 1;

  facet_decompress_options_init(&dopt);
  dopt.threads = 2;
  if (check(facet_decompress(model, fct, fct_size, &dopt, &pixels, &w, &h, &c), "decompress")) return 1;
  if (w != width || h != height || c != channels) return 1;
  if (write_all(argv[7], pixels, (size_t)w * h * c)) return 1;
  /* Into the caller's buffer with a padded stride: the same pixels. */
  into = (unsigned char*)malloc((size_t)(w * c + 7) * h);
  if (check(facet_decompress_into(model, fct, fct_size, &dopt, into, (size_t)(w * c + 7) * h, w * c + 7), "into"))
    return 1;
  for (i = 0; i < h; ++i)
    if (memcmp(into + i * (w * c + 7), pixels + i * w * c, (size_t)w * c) != 0) return 1;

  if (check(facet_inspect(model, fct, fct_size, &info), "inspect")) return 1;
  printf("%ux%u, %zu factors:", facet_file_info_width(info), facet_file_info_height(info),
         facet_file_info_factor_count(info));
  for (i = 0; i < facet_file_info_factor_count(info); ++i) {
    if (check(facet_file_info_factor(info, i, &factor), "factor")) return 1;
    printf(" %s", factor.name);
    if (factor.has_value) printf("=%.3f", factor.value);
  }
  printf("\n");
  facet_file_info_free(info);
  if (check(facet_edit(NULL, fct, fct_size, NULL, 0, drop, 1, &thin, &thin_size), "edit --drop chroma")) return 1;
  printf("dropped chroma: %zu -> %zu bytes\n", fct_size, thin_size);
  /* Damaged input is an error, never a crash. */
  fct[fct_size / 2] ^= 0x40;
  if (facet_decompress(model, fct, fct_size, &dopt, &pixels, &w, &h, &c) == FACET_OK) return 1;
  printf("damaged file: %s\n", facet_last_error());
  facet_free(fct);
  facet_free(pixels);
  facet_free(thin);
  free(into);
  free(raw);
  facet_model_free(model);
  return 0;
}
