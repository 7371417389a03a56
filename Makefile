# netbootfs — build, test and install.
#
#   make            release build into build/
#   make check      ASan+UBSan build into build-san/, then unit tests (cmocka),
#                   shell TAP tests (prove) and a short fuzz run of the parser
#   make demo       boot three simulated Pis against a generated demo image
#   make bench      benchmarks against the alternatives (see BENCHMARKS.md)
#   make install    honours PREFIX and DESTDIR
#
# Dependencies are Debian 12 packages; `make deps` installs the missing ones
# when run as root and names them otherwise.

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share/netbootfs
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
O          ?= build
SAN        ?= 0

CC         ?= cc
PKG_CONFIG ?= pkg-config
PROVE      ?= prove
PROVE_JOBS ?= 2

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I. $(WARN) $(CFLAGS)
ALL_LDFLAGS = $(LDFLAGS)
ifeq ($(SAN),1)
ALL_CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ALL_LDFLAGS += -fsanitize=address,undefined
endif

pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

FUSE_CFLAGS := $(call pc_cflags,fuse3)
FUSE_LIBS   := $(call pc_libs,fuse3)
SQFS_CFLAGS := $(call pc_cflags,squashfuse) $(call pc_cflags,libdeflate)
SQFS_LIBS   := $(call pc_libs,squashfuse) $(call pc_libs,libdeflate)
INIH_LIBS   := $(call pc_libs,inih)
JSON_CFLAGS := $(call pc_cflags,json-c)
JSON_LIBS   := $(call pc_libs,json-c)

MAPPER_SRC := $(wildcard mapper/*.c)
IMAGES_SRC := $(wildcard images/*.c)
FUSEFS_SRC := $(filter-out fusefs/main.c,$(wildcard fusefs/*.c))
CTL_SRC    := $(filter-out ctl/main.c,$(wildcard ctl/*.c))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRC))
HELPER_SRC := $(wildcard tests/lib/*.c)
HELPER_BIN := $(patsubst tests/lib/%.c,$(O)/tests/%,$(HELPER_SRC))

obj = $(patsubst %.c,$(O)/%.o,$(1))

LIBMAPPER := $(O)/libmapper.a
LIBIMAGES := $(O)/libimages.a
LIBFUSEFS := $(O)/libfusefs.a
LIBCTL    := $(O)/libctl.a
ALL_LIBS  := $(LIBFUSEFS) $(LIBCTL) $(LIBIMAGES) $(LIBMAPPER)
EXT_LIBS   = $(FUSE_LIBS) $(SQFS_LIBS) $(INIH_LIBS) $(JSON_LIBS) -lpthread

.PHONY: all check unit-tests run-unit run-tap fuzz fuzz-smoke deps demo bench install clean format
all: $(O)/netbootfs $(O)/netbootctl $(HELPER_BIN)

# Per-directory flags: squashfuse headers stay inside images/, FUSE inside fusefs/.
$(O)/images/%.o: ALL_CFLAGS += $(SQFS_CFLAGS)
$(O)/fusefs/%.o: ALL_CFLAGS += -DFUSE_USE_VERSION=34 $(FUSE_CFLAGS)
$(O)/ctl/%.o: ALL_CFLAGS += $(JSON_CFLAGS) -DNETBOOTFS_SBINDIR='"$(SBINDIR)"' \
	-DNETBOOTFS_DATADIR='"$(DATADIR)"'
$(O)/tests/%.o: ALL_CFLAGS += -DFUSE_USE_VERSION=34 $(FUSE_CFLAGS) $(JSON_CFLAGS) -Wno-missing-prototypes

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBMAPPER): $(call obj,$(MAPPER_SRC))
$(LIBIMAGES): $(call obj,$(IMAGES_SRC))
$(LIBFUSEFS): $(call obj,$(FUSEFS_SRC))
$(LIBCTL):    $(call obj,$(CTL_SRC))
$(ALL_LIBS):
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

DAEMON_LIBS := $(LIBFUSEFS) $(LIBIMAGES) $(LIBMAPPER)
CTL_LIBS    := $(LIBCTL) $(LIBIMAGES) $(LIBMAPPER)
$(O)/netbootfs: $(O)/fusefs/main.o $(DAEMON_LIBS)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(DAEMON_LIBS) $(EXT_LIBS)
$(O)/netbootctl: $(O)/ctl/main.o $(CTL_LIBS)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(CTL_LIBS) $(EXT_LIBS)
$(O)/tests/test_%: $(O)/tests/unit/test_%.o $(ALL_LIBS)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(ALL_LIBS) $(EXT_LIBS) -lcmocka
$(O)/tests/%: $(O)/tests/lib/%.o
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(EXT_LIBS)

unit-tests: $(UNIT_BIN)

$(O)/bench/mapper_lookup: bench/mapper_lookup.c $(LIBMAPPER)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBMAPPER) $(INIH_LIBS)

-include $(shell find $(O) -name '*.d' 2>/dev/null)

# ---- tests -------------------------------------------------------------
SAN_O := build-san
check: deps
	$(MAKE) O=$(SAN_O) SAN=1 all unit-tests
	$(MAKE) O=$(SAN_O) SAN=1 run-unit fuzz-smoke run-tap

run-unit: $(UNIT_BIN)
	@scripts/run-unit.sh $(UNIT_BIN)

TAP_TESTS := $(wildcard tests/t/t[0-9]*.t)
run-tap: all
	@test -n "$(TAP_TESTS)" || { echo "run-tap: no tests found" >&2; exit 1; }
	NETBOOTFS_BUILD=$(abspath $(O)) $(PROVE) -j$(PROVE_JOBS) $(TAP_TESTS)

FUZZ_O ?= $(O)-fuzz
$(FUZZ_O)/fuzz_mapper: tests/fuzz/fuzz_mapper.c $(MAPPER_SRC)
	@mkdir -p $(@D)
	clang -std=gnu11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined \
		-o $@ $^ $(INIH_LIBS)

FUZZ_SECONDS ?= 300
fuzz: $(FUZZ_O)/fuzz_mapper
	@mkdir -p $(FUZZ_O)/corpus
	$(FUZZ_O)/fuzz_mapper -max_total_time=$(FUZZ_SECONDS) -timeout=5 $(FUZZ_O)/corpus tests/fuzz/corpus

# make check runs the fuzzer briefly; `make fuzz` runs it for longer.
fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=20

deps:
	@scripts/deps.sh

# Build in a sub-make: on a fresh machine the pkg-config flags above were
# computed before `deps` installed the libraries.
demo: deps
	@$(MAKE) --no-print-directory all
	@NETBOOTFS_BUILD=$(abspath $(O)) scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@NETBOOTFS_BUILD=$(abspath $(O)) bench/run.sh

# ---- install -----------------------------------------------------------
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSCONFDIR)/netbootfs $(DESTDIR)$(DATADIR)
	install -m 0755 $(O)/netbootfs $(O)/netbootctl $(DESTDIR)$(SBINDIR)/
	install -m 0644 docs/netbootfs.8 docs/netbootctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 docs/netbootfs.ini.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 conf/netbootfs.ini $(DESTDIR)$(SYSCONFDIR)/netbootfs/netbootfs.ini.example
	test -e $(DESTDIR)$(SYSCONFDIR)/netbootfs/netbootfs.ini || \
		install -m 0644 conf/netbootfs.ini $(DESTDIR)$(SYSCONFDIR)/netbootfs/netbootfs.ini
	for f in conf/*.sh; do [ -e "$$f" ] && install -m 0755 "$$f" $(DESTDIR)$(DATADIR)/ || true; done
	# Units from the generator itself (one piece of code), for the installed config.
	install -d $(DESTDIR)$(UNITDIR)
	$(O)/netbootctl -c $(DESTDIR)$(SYSCONFDIR)/netbootfs/netbootfs.ini gen systemd \
		--dir $(DESTDIR)$(UNITDIR)
	find $(DESTDIR)$(UNITDIR) -type f -exec sed -i \
		-e 's|^ExecStart=[^ ]*/netbootfs |ExecStart=$(SBINDIR)/netbootfs |' \
		$(if $(DESTDIR),-e 's|$(abspath $(DESTDIR))||g') {} +

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-san build-fuzz
