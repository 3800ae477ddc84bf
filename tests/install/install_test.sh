#!/usr/bin/env bash
# libfacet as an application sees it: `cmake --install` into a temporary prefix, the public header
# alone in strict C99, only facet_ symbols exported and no LibTorch, then a C program built against
# the *installed* library with pkg-config and with find_package(facet), whose file and pixels must
# be those of `facet compress` / `facet decompress`, the same with the static libfacet.a; then the
# installed Python module under pytest.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1; src=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
lib=$(dirname "$(find "$prefix" -name 'libfacet.so' | head -1)")
echo "installed: $(find "$prefix" -name 'libfacet.so*' -o -name libfacet.a -o -name facet.h -o -name facet.pc -o -name 'facetConfig*.cmake' | sed "s|$prefix/||" | sort | tr '\n' ' ')"

# The header alone, strict C99, and with a C++ compiler.
printf '#include <facet/facet.h>\nint main(void) { return facet_version_number() == 0; }\n' >"$work/h.c"
cc -std=c99 -Wall -Wextra -Werror -pedantic -fsyntax-only -I"$prefix/include" "$work/h.c"
c++ -std=c++17 -Wall -Wextra -Werror -fsyntax-only -x c++ -I"$prefix/include" "$work/h.c"
if grep -E '#include <(torch|ATen|c10|opencv2)|#include <[a-z_]+>$' "$prefix/include/facet/facet.h" | grep -vE '<(stddef|stdint)\.h>'; then
  echo "FAIL: facet.h includes more than stddef.h and stdint.h"; exit 1
fi
others=$(nm -D --defined-only "$lib/libfacet.so" | awk '{print $3}' | grep -v '^facet_' || true)
[[ -z $others ]] || { echo "FAIL: libfacet.so exports more than facet_*: $others"; exit 1; }
echo "exports: $(nm -D --defined-only "$lib/libfacet.so" | wc -l) symbols, all facet_*"
if ldd "$lib/libfacet.so" | grep -E 'torch|c10|opencv'; then echo "FAIL: libfacet.so loads LibTorch or OpenCV"; exit 1; fi
readelf -d "$lib/libfacet.so" | grep -q 'SONAME.*libfacet.so.0' || { echo "FAIL: no SONAME libfacet.so.0"; exit 1; }

# The pixels of a corpus image as raw bytes, and what the command line makes of them.
img=$src/corpus/kodim23-crop.png
read -r w h c < <(/usr/bin/python3 -c "
from PIL import Image
im = Image.open('$img').convert('RGB'); open('$work/in.raw', 'wb').write(im.tobytes()); print(im.width, im.height, 3)")
"$build/facet" compress "$img" -o "$work/cli.fct" -q 40 --threads 2
"$build/facet" decompress "$work/cli.fct" -o "$work/cli.png" --threads 2
/usr/bin/python3 -c "
from PIL import Image
open('$work/cli.raw', 'wb').write(Image.open('$work/cli.png').convert('RGB').tobytes())"

unset FACET_MODEL  # the installed model, found from the library's own place
# 1. pkg-config
PKG_CONFIG_PATH=$lib/pkgconfig cc -std=c99 -Wall -Wextra -Werror "$src/tests/install/roundtrip.c" -o "$work/rt-pc" \
  $(PKG_CONFIG_PATH=$lib/pkgconfig pkg-config --cflags --libs facet) -Wl,-rpath,"$lib"
"$work/rt-pc" "$work/in.raw" "$w" "$h" "$c" 40 "$work/pc.fct" "$work/pc.raw"
cmp "$work/pc.fct" "$work/cli.fct"
cmp "$work/pc.raw" "$work/cli.raw"
echo "pkg-config build: file and pixels identical to facet compress / decompress"
# 2. find_package(facet)
cmake -S "$src/tests/install/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_RPATH="$lib" >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/roundtrip" "$work/in.raw" "$w" "$h" "$c" 40 "$work/cp.fct" "$work/cp.raw" >/dev/null
cmp "$work/cp.fct" "$work/cli.fct"
cmp "$work/cp.raw" "$work/cli.raw"
echo "find_package(facet) build: file and pixels identical to facet compress / decompress"

# 3. The static library, with pkg-config --static and with find_package(facet)'s facet::facet_static:
# the same file and pixels, and no libfacet.so loaded.
[[ -f $lib/libfacet.a ]] || { echo "FAIL: no libfacet.a installed"; exit 1; }
static_libs=$(PKG_CONFIG_PATH=$lib/pkgconfig pkg-config --static --libs facet | sed -e 's/-lfacet\b//')
cc -std=c99 -Wall -Wextra -Werror "$src/tests/install/roundtrip.c" -o "$work/rt-static" \
  $(PKG_CONFIG_PATH=$lib/pkgconfig pkg-config --cflags facet) "$lib/libfacet.a" $static_libs
if ldd "$work/rt-static" | grep -q libfacet; then echo "FAIL: the static build loads libfacet.so"; exit 1; fi
"$work/rt-static" "$work/in.raw" "$w" "$h" "$c" 40 "$work/st.fct" "$work/st.raw"
cmp "$work/st.fct" "$work/cli.fct"
cmp "$work/st.raw" "$work/cli.raw"
cmake -S "$src/tests/install/consumer" -B "$work/consumer-static" -DCMAKE_PREFIX_PATH="$prefix" \
  -DFACET_TARGET=facet::facet_static >/dev/null
cmake --build "$work/consumer-static" >/dev/null
if ldd "$work/consumer-static/roundtrip" | grep -q libfacet; then echo "FAIL: facet::facet_static loads libfacet.so"; exit 1; fi
"$work/consumer-static/roundtrip" "$work/in.raw" "$w" "$h" "$c" 40 "$work/cs.fct" "$work/cs.raw" >/dev/null
cmp "$work/cs.fct" "$work/cli.fct"
cmp "$work/cs.raw" "$work/cli.raw"
echo "static builds (pkg-config --static, facet::facet_static; $(du -k "$lib/libfacet.a" | cut -f1) KB archive): file and pixels identical"

# 4. The Python module, installed beside the library, under pytest.
pymod=$(find "$prefix" -name 'facet.cpython-*.so' | head -1)
if [[ -z $pymod ]]; then echo "FAIL: the Python module was not installed"; exit 1; fi
echo "python module: ${pymod#$prefix/}"
PYTHONPATH=$(dirname "$pymod") /usr/bin/python3 -m pytest -q -p no:cacheprovider "$src/tests/python/test_facet.py"
