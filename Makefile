# DLIC build. `make` builds the library and tools into build/;
# `make test` builds with ASan/UBSan into build/san and runs every test.
# Folders: include/ (public API), format/ (container and model file),
# codec/ (entropy coder, integer network, encoder, decoder, API),
# tools/ (CLI and image I/O), tests/, conformance/, weights/, train/.

CC       ?= cc
BUILD    ?= build
OPT      ?= -O2 -g
SAN      ?=
DEFAULT_MODEL ?= weights/default.dlicm
PREFIX   ?= /usr/local
DESTDIR  ?=

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
CPPFLAGS += -I. -Iinclude -D_POSIX_C_SOURCE=200809L
CFLAGS_ALL = -std=c11 $(OPT) $(WARN) $(SAN) -fPIC -fvisibility=hidden \
             -DDLIC_BUILDING_LIBRARY $(CFLAGS)
LDLIBS_LIB := -lxxhash -lpthread -lm
LDLIBS_IO  := $(shell pkg-config --libs libpng libwebp 2>/dev/null || echo -lpng -lwebp) -ljpeg

# x86 SIMD kernels live in */x86/*_avx2.c and *_avx512.c, one file per ISA.
ALL_LIB_C  := $(sort $(wildcard codec/*.c codec/*/*.c format/*.c))
AVX2_C     := $(sort $(wildcard codec/*/x86/*_avx2.c))
AVX512_C   := $(sort $(wildcard codec/*/x86/*_avx512.c))
LIB_OBJ    := $(ALL_LIB_C:%.c=$(BUILD)/%.o) $(AVX2_C:%.c=$(BUILD)/%.o) \
              $(AVX512_C:%.c=$(BUILD)/%.o) $(BUILD)/codec/model_blob.o

IO_C       := $(sort $(wildcard tools/imageio/*.c))
IO_OBJ     := $(IO_C:%.c=$(BUILD)/%.o)
TOOLS      := dlic-enc dlic-dec dlic-info dlic-bench
TOOL_BIN   := $(filter $(TOOLS:%=$(BUILD)/%),$(patsubst tools/%.c,$(BUILD)/%,$(wildcard tools/dlic-*.c)))

TEST_C     := $(sort $(wildcard tests/test_*.c))
TEST_BIN   := $(TEST_C:tests/%.c=$(BUILD)/tests/%)

SONAME     := libdlic.so.0

.PHONY: all lib tools tests test check clean install bench conformance demo
.SECONDARY:
all: lib tools

lib: $(BUILD)/libdlic.a $(BUILD)/$(SONAME)
tools: $(TOOL_BIN)
tests: $(TEST_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/%_avx2.o: %_avx2.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) -mavx2 -mfma -MMD -MP -c $< -o $@

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

$(BUILD)/$(SONAME): $(LIB_OBJ)
	$(CC) $(SAN) -shared -Wl,-soname,$(SONAME) -o $@ $^ $(LDLIBS_LIB)
	ln -sf $(SONAME) $(BUILD)/libdlic.so

$(BUILD)/dlic-%: $(BUILD)/tools/dlic-%.o $(IO_OBJ) $(BUILD)/libdlic.a
	$(CC) $(SAN) -o $@ $^ $(LDLIBS_IO) $(LDLIBS_LIB)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(IO_OBJ) $(BUILD)/libdlic.a
	$(CC) $(SAN) -o $@ $^ -lcmocka $(LDLIBS_IO) $(LDLIBS_LIB)

# Unit tests, then the CLI tests, all under ASan and UBSan.
test check:
	$(MAKE) BUILD=build/san OPT="-O1 -g" \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    all tests
	ASAN_OPTIONS=detect_leaks=1 tests/run.sh build/san

# The README's first command: encode and decode a sample image with the
# embedded model and print bpp and PSNR.
DEMO_IMAGE ?= $(firstword $(wildcard ../shared/data/kodak/kodim23.png) tests/data/rgb.png)
demo: tools
	$(BUILD)/dlic-enc -q 75 --print-psnr $(DEMO_IMAGE) -o $(BUILD)/demo.dlic
	$(BUILD)/dlic-dec $(BUILD)/demo.dlic -o $(BUILD)/demo.png
	@echo "decoded to $(BUILD)/demo.png"

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
