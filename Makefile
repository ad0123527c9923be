# DLIC build. `make` builds the library and tools into build/;
# `make test` builds with ASan/UBSan into build/san and runs every test.
# Layers (README, "Layout"): include/ (public API), core/ (helpers, spec
# constants, the model object), format/ (container and model-file parsing),
# codec/ (entropy coder, integer network, encoder, decoder, API), then
# tools/ (CLI and image I/O); also tests/, conformance/, weights/, train/.

CC       ?= cc
BUILD    ?= build
OPT      ?= -O2 -g
SAN      ?=
DEFAULT_MODEL ?= weights/default.dlicm
PREFIX   ?= /usr/local
DESTDIR  ?=

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
CPPFLAGS += -I. -Iinclude -D_POSIX_C_SOURCE=200809L
CFLAGS_ALL = -std=c11 $(OPT) $(WARN) $(SAN) -fPIC -fvisibility=hidden \
             -DDLIC_BUILDING_LIBRARY $(CFLAGS)
LDLIBS_LIB := -lxxhash -lpthread -lm
LDLIBS_IO  := $(shell pkg-config --libs libpng libwebp libwebpdemux 2>/dev/null || \
                echo -lpng -lwebpdemux -lwebp) -ljpeg

# x86 SIMD kernels live in */x86/*_avx2.c, *_avxvnni.c and *_avx512.c, one
# file per ISA.
ALL_LIB_C  := $(sort $(wildcard core/*.c codec/*.c codec/*/*.c format/*.c))
X86_C      := $(sort $(foreach i,avx2 avxvnni avx512,$(wildcard codec/*/x86/*_$(i).c)))
LIB_OBJ    := $(ALL_LIB_C:%.c=$(BUILD)/%.o) $(X86_C:%.c=$(BUILD)/%.o) \
              $(BUILD)/codec/model_blob.o
# The decoder-only library (libdlic-dec.a: no encoder, no float search
# kernels; dlic_encode() is not in it), for the gdk-pixbuf loader and
# WebAssembly. `make lib` checks that its objects name no encoder symbol.
ENC_OBJ    := $(filter $(BUILD)/codec/lib_enc.o $(BUILD)/codec/enc/% $(BUILD)/codec/nn/fconv_% \
                $(BUILD)/codec/nn/x86/fconv_%,$(LIB_OBJ))
DEC_OBJ    := $(filter-out $(ENC_OBJ),$(LIB_OBJ))
ENC_SYMBOLS := (dlic_encode|dlic_refine|dlic_gsgrad|dlic_fnet|dlic_egrad|dlic_fconv|dlic_rdoq|dlic_cbenc)

IO_C       := $(sort $(wildcard tools/imageio/*.c))
IO_OBJ     := $(IO_C:%.c=$(BUILD)/%.o)
TOOLS      := dlic-enc dlic-dec dlic-info dlic-bench
TOOL_BIN   := $(filter $(TOOLS:%=$(BUILD)/%),$(patsubst tools/%.c,$(BUILD)/%,$(wildcard tools/dlic-*.c)))

TEST_C     := $(sort $(wildcard tests/test_*.c))
TEST_BIN   := $(TEST_C:tests/%.c=$(BUILD)/tests/%)
FUZZ_TARGETS := probe rangecoder decode
FUZZ_REPLAY  := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%_replay)
FUZZ_COMMON  := $(BUILD)/fuzz/fuzz_common.o $(BUILD)/fuzz/test_model.o
FUZZ_CC      ?= clang-14

SONAME     := libdlic.so.0

.PHONY: all lib tools tests test check clean install bench bench-speed conformance demo fuzz
.SECONDARY:
all: lib tools

lib: $(BUILD)/libdlic.a $(BUILD)/$(SONAME) $(BUILD)/libdlic-dec.a
tools: $(TOOL_BIN)
tests: $(TEST_BIN) $(FUZZ_REPLAY) $(BUILD)/conformance/pixhash

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/%_avx2.o: %_avx2.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) -mavx2 -mfma -MMD -MP -c $< -o $@

$(BUILD)/%_avxvnni.o: %_avxvnni.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) -mavx2 -mfma -mavxvnni -MMD -MP -c $< -o $@

$(BUILD)/%_avx512.o: %_avx512.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) -mavx2 -mfma -mavx512f -mavx512bw \
	    -mavx512vl -mavx512dq -mavx512vnni -MMD -MP -c $< -o $@

# The default model is embedded with .incbin (codec/model_blob.S).
$(BUILD)/codec/model_blob.o: codec/model_blob.S $(DEFAULT_MODEL)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -DDLIC_MODEL_FILE='"$(DEFAULT_MODEL)"' -c $< -o $@

$(BUILD)/libdlic.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libdlic-dec.a: $(DEC_OBJ)
	@rm -f $@
	@if nm -u $^ | grep -E ' $(ENC_SYMBOLS)'; then \
	    echo "libdlic-dec.a: decoder objects need the encoder symbols above"; exit 1; fi
	ar rcs $@ $^

$(BUILD)/$(SONAME): $(LIB_OBJ)
	$(CC) $(SAN) -shared -Wl,-soname,$(SONAME) -o $@ $^ $(LDLIBS_LIB)
	ln -sf $(SONAME) $(BUILD)/libdlic.so

$(BUILD)/dlic-%: $(BUILD)/tools/dlic-%.o $(IO_OBJ) $(BUILD)/libdlic.a
	$(CC) $(SAN) -o $@ $^ $(LDLIBS_IO) $(LDLIBS_LIB)

# dlic-dec links the decoder-only library (and so proves it whole).
$(BUILD)/dlic-dec: $(BUILD)/tools/dlic-dec.o $(IO_OBJ) $(BUILD)/libdlic-dec.a
	$(CC) $(SAN) -o $@ $^ $(LDLIBS_IO) $(LDLIBS_LIB)

# dlic-bench also links its parts in tools/bench/ (LDLIBS_LIB has -lpthread -lm).
BENCH_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard tools/bench/*.c)))
$(BUILD)/dlic-bench: $(BUILD)/tools/dlic-bench.o $(BENCH_OBJ) $(IO_OBJ) $(BUILD)/libdlic.a
	$(CC) $(SAN) -o $@ $^ $(LDLIBS_IO) $(LDLIBS_LIB)
$(BUILD)/tests/test_bdrate: $(BUILD)/tools/bench/bdrate.o

# Speed benchmark (bench/speed.sh): BENCH_WEIGHTS=model.dlicm, KODAK_N=3,
# CPUS="avx2 avxvnni" ...
$(BUILD)/bench/speed: $(BUILD)/bench/speed.o $(IO_OBJ) $(BUILD)/libdlic.a
	$(CC) $(SAN) -o $@ $^ $(LDLIBS_IO) $(LDLIBS_LIB)
bench-speed: $(BUILD)/bench/speed
	sh bench/speed.sh $(BUILD)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(IO_OBJ) $(BUILD)/libdlic.a
	$(CC) $(SAN) -o $@ $^ -lcmocka $(LDLIBS_IO) $(LDLIBS_LIB)

# Unit tests, then the CLI tests, all under ASan and UBSan (and the
# WebAssembly decoder in Node when emcc is installed).
test check:
	$(MAKE) BUILD=build/san OPT="-O1 -g" \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    all tests
	if command -v $(EMCC) >/dev/null 2>&1; then $(MAKE) BUILD=build/san wasm wasm-checkasm; fi
	ASAN_OPTIONS=detect_leaks=1 tests/run.sh build/san

# The README's first command: encode and decode a sample image with the
# embedded model and print bpp and PSNR.
DEMO_IMAGE ?= $(firstword $(wildcard ../shared/data/kodak/kodim23.png) tests/data/rgb.png)
demo: tools
	$(BUILD)/dlic-enc -q 75 --print-psnr $(DEMO_IMAGE) -o $(BUILD)/demo.dlic
	$(BUILD)/dlic-dec $(BUILD)/demo.dlic -o $(BUILD)/demo.png
	@echo "decoded to $(BUILD)/demo.png"

# Conformance suite (conformance/README.md): every stream on every CPU path
# and thread count, decoder and encoder.
conformance: tools $(BUILD)/conformance/pixhash
	sh conformance/run.sh $(BUILD)

$(BUILD)/conformance/pixhash: $(BUILD)/conformance/pixhash.o
	$(CC) $(SAN) -o $@ $^ -lxxhash

# Fuzz targets (fuzz/README.md): *_replay (built by `tests`, any compiler)
# replay the corpora; `make fuzz` builds libFuzzer binaries with clang into
# build/libfuzzer/fuzz/*_fuzzer (variables FUZZ_* above).
$(BUILD)/fuzz/test_model.o: fuzz/test_model.S weights/dlic-test.dlicm \
                            weights/dlic-test-cb.dlicm
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -c $< -o $@

$(BUILD)/fuzz/%_replay: $(BUILD)/fuzz/%.o $(BUILD)/fuzz/regression_driver.o \
                        $(FUZZ_COMMON) $(BUILD)/libdlic.a
	$(CC) $(SAN) -o $@ $^ $(LDLIBS_LIB)

$(BUILD)/fuzz/%_fuzzer: $(BUILD)/fuzz/%.o $(FUZZ_COMMON) $(BUILD)/libdlic.a
	$(CC) $(subst fuzzer-no-link,fuzzer,$(SAN)) -o $@ $^ $(LDLIBS_LIB)

fuzz:
	$(MAKE) BUILD=build/libfuzzer CC=$(FUZZ_CC) OPT="-O1 -g" \
	    SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    $(FUZZ_TARGETS:%=build/libfuzzer/fuzz/%_fuzzer)

# WebAssembly decoder (README, "In the browser"; `make wasm`, needs
# Debian's emscripten): the decoder-only sources (DEC_OBJ's) built with
# emcc, the SIMD128 kernel of codec/nn/wasm/, no embedded model (the module is small and the
# page fetches the model file beside it, build/wasm/default.dlicm), one
# thread. build/wasm/: dlic-core.mjs + .wasm (emscripten's), dlic.mjs (the
# API), dlic-dec.mjs (a Node CLI like dlic-dec), index.html (the viewer page,
# web/). xxHash is header-only there.
EMCC      ?= emcc
# WebAssembly SIMD128 (every current browser, Node 16+): the kernel of
# codec/nn/wasm/ and the compiler's vectorising; WASM_SIMD= builds without.
WASM_SIMD ?= -msimd128
WASM_DIR  := $(BUILD)/wasm
WASM_C    := $(filter-out codec/lib_enc.c codec/enc/% codec/nn/fconv_%,$(ALL_LIB_C)) wasm/glue.c \
             $(if $(WASM_SIMD),codec/nn/wasm/conv_simd128.c)
WASM_OBJ  := $(WASM_C:%.c=$(WASM_DIR)/obj/%.o)
WASM_OUT  := $(WASM_DIR)/dlic-core.mjs $(WASM_DIR)/dlic.mjs $(WASM_DIR)/dlic-dec.mjs \
             $(WASM_DIR)/default.dlicm $(WASM_DIR)/index.html
WASM_CFLAGS = -std=c11 -O3 $(WASM_SIMD) $(WARN) -I. -Iinclude -I$(WASM_DIR)/include \
             -D_POSIX_C_SOURCE=200809L -DXXH_INLINE_ALL -DDLIC_BUILDING_LIBRARY \
             -DDLIC_NO_EMBEDDED_MODEL
.PHONY: wasm
wasm: $(WASM_OUT)

$(WASM_DIR)/include/xxhash.h: /usr/include/xxhash.h
	@mkdir -p $(dir $@)
	cp $< $@

$(WASM_DIR)/obj/%.o: %.c $(WASM_DIR)/include/xxhash.h Makefile
	@mkdir -p $(dir $@)
	$(EMCC) $(WASM_CFLAGS) -MMD -MP -c $< -o $@

# The decoder-only library in WebAssembly, checked like libdlic-dec.a.
$(WASM_DIR)/libdlic-dec.a: $(filter-out $(WASM_DIR)/obj/wasm/glue.o,$(WASM_OBJ))
	@rm -f $@
	@if emnm -u $^ | grep -E ' $(ENC_SYMBOLS)'; then \
	    echo "$@: decoder objects need the encoder symbols above"; exit 1; fi
	emar rcs $@ $^

$(WASM_DIR)/dlic-core.mjs: $(WASM_DIR)/obj/wasm/glue.o $(WASM_DIR)/libdlic-dec.a wasm/node-shim.js
	NODE_PATH=/usr/share/nodejs $(EMCC) -O3 $(WASM_SIMD) $(WASM_DIR)/obj/wasm/glue.o \
	    $(WASM_DIR)/libdlic-dec.a -o $@ \
	    -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=DlicCore -sALLOW_MEMORY_GROWTH=1 \
	    -sENVIRONMENT=web,node -sEXPORTED_FUNCTIONS=_malloc,_free \
	    -sEXPORTED_RUNTIME_METHODS=ccall,UTF8ToString,HEAPU8 $(WASM_LDFLAGS) \
	    --extern-pre-js wasm/node-shim.js

# tests/test_checkasm.c in WebAssembly (the SIMD128 kernel against the C
# one, bit for bit; cmocka's asserts from tests/wasm/shim/), one file that
# Node runs: `node BUILD/wasm/checkasm.cjs` (tests/cli/wasm.sh).
.PHONY: wasm-checkasm
wasm-checkasm: $(WASM_DIR)/checkasm.cjs
$(WASM_DIR)/checkasm.cjs: tests/test_checkasm.c tests/wasm/shim/cmocka.h $(WASM_DIR)/libdlic-dec.a
	NODE_PATH=/usr/share/nodejs $(EMCC) $(WASM_CFLAGS) -Itests/wasm/shim $< \
	    $(WASM_DIR)/libdlic-dec.a -o $(WASM_DIR)/checkasm.js \
	    -sSINGLE_FILE=1 -sEXIT_RUNTIME=1 -sALLOW_MEMORY_GROWTH=1 -sENVIRONMENT=node
	mv $(WASM_DIR)/checkasm.js $@

# The SIMD128 multiply-add peak (bench/wasm_peak.c; run with
# `node bench/wasm_peak.mjs`), for the ratio of README's "Speed" paragraph.
.PHONY: wasm-peak
wasm-peak: $(WASM_DIR)/peak.wasm
$(WASM_DIR)/peak.wasm: bench/wasm_peak.c Makefile
	@mkdir -p $(dir $@)
	$(EMCC) -O3 -msimd128 $(WARN) --no-entry -sSTANDALONE_WASM $< -o $@

$(WASM_DIR)/%.mjs: wasm/%.mjs
	@mkdir -p $(WASM_DIR)
	cp $< $@

$(WASM_DIR)/index.html: web/index.html
	@mkdir -p $(WASM_DIR)
	cp $< $@

$(WASM_DIR)/default.dlicm: $(DEFAULT_MODEL)
	@mkdir -p $(WASM_DIR)
	cp $< $@

# gdk-pixbuf loader (gdk-pixbuf/): image viewers open .dlic files. The module
# links the static library (built with -fPIC) and exports only its entry
# points. pkg-config runs only when these targets are built.
PIXBUF_PKG     := gdk-pixbuf-2.0
PIXBUF_CFLAGS   = $(shell pkg-config --cflags $(PIXBUF_PKG))
PIXBUF_LIBS     = $(shell pkg-config --libs $(PIXBUF_PKG))
PIXBUF_LOADER  := $(BUILD)/gdk-pixbuf/libpixbufloader-dlic.so

.PHONY: pixbuf-loader uninstall
pixbuf-loader: $(PIXBUF_LOADER)

$(BUILD)/gdk-pixbuf/%.o: gdk-pixbuf/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=gnu11 $(OPT) $(WARN) $(SAN) -fPIC $(PIXBUF_CFLAGS) \
	    $(CFLAGS) -MMD -MP -c $< -o $@

$(PIXBUF_LOADER): $(BUILD)/gdk-pixbuf/io-dlic.o $(BUILD)/libdlic-dec.a
	$(CC) $(SAN) -shared -Wl,--exclude-libs,ALL -Wl,-z,defs -o $@ $^ \
	    $(PIXBUF_LIBS) $(LDLIBS_LIB)

$(BUILD)/gdk-pixbuf/test-pixbuf: $(BUILD)/gdk-pixbuf/test-pixbuf.o
	$(CC) $(SAN) -o $@ $^ $(PIXBUF_LIBS) $(shell pkg-config --libs gio-2.0)

# `make install` honours PREFIX and DESTDIR; the loader goes to gdk-pixbuf's
# module folder, moved under PREFIX when PREFIX is not gdk-pixbuf's own. The
# loader cache and the MIME database are refreshed only when DESTDIR is empty.
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
PIXBUF_MODULEDIR = $(shell pkg-config --define-variable=prefix=$(PREFIX) \
                     --variable=gdk_pixbuf_moduledir $(PIXBUF_PKG) 2>/dev/null)
PIXBUF_QUERY     = $(shell pkg-config --variable=gdk_pixbuf_query_loaders \
                     $(PIXBUF_PKG) 2>/dev/null || echo gdk-pixbuf-query-loaders)
DLIC_VERSION     = $(shell awk '/^.define DLIC_VERSION_(MAJOR|MINOR|PATCH) / \
                     { v = v (v == "" ? "" : ".") $$3 } END { print v }' \
                     include/dlic/dlic.h)
HAVE_PIXBUF      = pkg-config --exists $(PIXBUF_PKG)

install: all
	@if $(HAVE_PIXBUF); then $(MAKE) --no-print-directory pixbuf-loader; fi
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
	    $(DESTDIR)$(INCLUDEDIR)/dlic $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(DATADIR)/mime/packages $(DESTDIR)$(DATADIR)/thumbnailers
	install -m 755 $(TOOL_BIN) $(DESTDIR)$(BINDIR)/
	install -m 755 $(BUILD)/$(SONAME) $(DESTDIR)$(LIBDIR)/
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libdlic.so
	install -m 644 $(BUILD)/libdlic.a $(BUILD)/libdlic-dec.a $(DESTDIR)$(LIBDIR)/
	install -m 644 include/dlic/dlic.h $(DESTDIR)$(INCLUDEDIR)/dlic/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(DLIC_VERSION)|' \
	    dlic.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/dlic.pc
	install -m 644 docs/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 gdk-pixbuf/dlic-mime.xml $(DESTDIR)$(DATADIR)/mime/packages/dlic.xml
	install -m 644 gdk-pixbuf/dlic.thumbnailer $(DESTDIR)$(DATADIR)/thumbnailers/
	@if $(HAVE_PIXBUF); then \
	    echo install -m 755 $(PIXBUF_LOADER) $(DESTDIR)$(PIXBUF_MODULEDIR)/; \
	    install -d $(DESTDIR)$(PIXBUF_MODULEDIR) && \
	    install -m 755 $(PIXBUF_LOADER) $(DESTDIR)$(PIXBUF_MODULEDIR)/; \
	else echo "install: no gdk-pixbuf-2.0, so no image viewer loader"; fi
ifeq ($(DESTDIR),)
	$(MAKE) --no-print-directory install-refresh
endif

uninstall:
	rm -f $(TOOL_BIN:$(BUILD)/%=$(DESTDIR)$(BINDIR)/%) \
	    $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libdlic.so \
	    $(DESTDIR)$(LIBDIR)/libdlic.a $(DESTDIR)$(LIBDIR)/libdlic-dec.a \
	    $(DESTDIR)$(LIBDIR)/pkgconfig/dlic.pc \
	    $(DESTDIR)$(INCLUDEDIR)/dlic/dlic.h \
	    $(patsubst docs/%,$(DESTDIR)$(MANDIR)/man1/%,$(wildcard docs/*.1)) \
	    $(DESTDIR)$(DATADIR)/mime/packages/dlic.xml \
	    $(DESTDIR)$(DATADIR)/thumbnailers/dlic.thumbnailer
	rmdir $(DESTDIR)$(INCLUDEDIR)/dlic 2>/dev/null || true
	if $(HAVE_PIXBUF); then \
	    rm -f $(DESTDIR)$(PIXBUF_MODULEDIR)/libpixbufloader-dlic.so; fi
ifeq ($(DESTDIR),)
	$(MAKE) --no-print-directory install-refresh
endif

# Loader cache and MIME database of the installed system (DESTDIR empty).
.PHONY: install-refresh
install-refresh:
	-if $(HAVE_PIXBUF); then $(PIXBUF_QUERY) --update-cache; \
	    sys=$$(pkg-config --variable=gdk_pixbuf_moduledir $(PIXBUF_PKG)); \
	    [ "$(PIXBUF_MODULEDIR)" = "$$sys" ] || echo "note: the loader is in" \
	        "$(PIXBUF_MODULEDIR); gdk-pixbuf reads $$sys (or GDK_PIXBUF_MODULEDIR)"; fi
	-command -v update-mime-database >/dev/null && update-mime-database $(DATADIR)/mime

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
