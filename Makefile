# Mail Cutover -- build, test, demo.
# `make` builds build/libmcxmlrpc.a and ./mailcutover.
# `make test` and `make demo` first install missing Debian packages (as root).

CC	?= cc
PKGS	 = libxml-2.0 libcurl openssl ldns libidn2
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# -Wformat-truncation is on (-Wall): a cut that is meant says so with a
# precision (%.255s) or a buffer sized for the longest value; any other
# would change a decision without a word (issue 11).
WARN	 = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE $(WARN) $(PKG_CFLAGS) -Ixmlrpc -Iplugin/helper
VERSION	:= $(shell sed -n 's:.*<version>\(.*\)</version>.*:\1:p' plugin/meta.xml)
CFLAGS	+= -DMC_VERSION='"$(VERSION)"'
LDLIBS	+= $(PKG_LIBS)
SAN	 = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

B	 = build
SB	 = $(B)/static
LIB_SRC	 = $(wildcard xmlrpc/*.c)
LIB_OBJ	 = $(LIB_SRC:%.c=$(B)/%.o)
HELPER_SRC = $(wildcard plugin/helper/*.c)
HELPER_OBJ = $(HELPER_SRC:%.c=$(B)/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
SAN_BIN	 = $(UNIT_SRC:tests/unit/%.c=$(B)/san/%)

.PHONY: all deps test test-unit test-system test-continuity test-continuity-real sanitize demo clean check-deps bench \
	fuzz fuzz-bins test-faults

all: $(B)/libmcxmlrpc.a mailcutover

$(B)/%.o: %.c $(wildcard xmlrpc/*.h plugin/helper/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libmcxmlrpc.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

mailcutover: $(HELPER_OBJ) $(B)/libmcxmlrpc.a
	$(CC) $(CFLAGS) -o $@ $(HELPER_OBJ) $(B)/libmcxmlrpc.a $(LDLIBS)

$(B)/unit/%: tests/unit/%.c $(B)/libmcxmlrpc.a tests/unit/unit.h $(HELPER_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(B)/libmcxmlrpc.a $(LDLIBS) -lcmocka

$(B)/san/%: tests/unit/%.c $(LIB_SRC) tests/unit/unit.h $(HELPER_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -O1 -Itests/unit -o $@ $< $(LIB_SRC) $(LDLIBS) -lcmocka

# The fault matrix (issue 11): every panel-changing step under every fault,
# then again without it; the end state must be consistent.
test-faults: deps
	@$(MAKE) --no-print-directory all
	@sh tests/run.sh faults

# Fuzzing (issue 11): libFuzzer harnesses (tests/fuzz/fuzz_*.c) built with
# clang, ASan and UBSan; `make fuzz` builds them and runs each for FUZZ_S
# seconds (default 20) from its committed seed corpus, then replays the
# regression inputs (tests/fuzz/run.sh). The helper's sources and the
# library are compiled again for this in build/fuzz/.
FUZZ_CC	 = $(shell command -v clang-14 || command -v clang || echo clang)
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	   -fno-omit-frame-pointer
FUZZ_CFLAGS = -g -O1 -std=c11 -D_GNU_SOURCE $(WARN) -Wno-unknown-warning-option \
	   $(PKG_CFLAGS) -Ixmlrpc -Iplugin/helper -DMC_VERSION='"$(VERSION)"'
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
FUZZ_LIB_OBJ = $(LIB_SRC:%.c=$(B)/fuzz/obj/%.o)
FUZZ_HELPER_OBJ = $(filter-out %/main.o,$(HELPER_SRC:%.c=$(B)/fuzz/obj/%.o))

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-bins
	@sh tests/run.sh fuzz

fuzz-bins: $(FUZZ_BIN)

$(B)/fuzz/obj/%.o: %.c $(wildcard xmlrpc/*.h plugin/helper/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC(fuzz) $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

$(B)/fuzz/libmcxmlrpc.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(B)/fuzz/libmchelper.a: $(FUZZ_HELPER_OBJ)
	@rm -f $@
	@ar rcs $@ $^

# a harness #includes the .c whose static functions it drives; the
# archives give it the rest (objects it defines itself are not pulled)
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(HELPER_SRC) \
	    $(B)/fuzz/libmchelper.a $(B)/fuzz/libmcxmlrpc.a
	@echo "  LD(fuzz) $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< \
	    $(B)/fuzz/libmchelper.a $(B)/fuzz/libmcxmlrpc.a $(LDLIBS)

# Install what the build and the tests need (Debian 12), as root.
deps:
	@sh tests/deps.sh

test: deps
	@$(MAKE) --no-print-directory all unit-bins ext browser-deps portable-root \
	    fuzz-bins
	@sh tests/run.sh

unit-bins: $(UNIT_BIN)

test-unit: all unit-bins
	@sh tests/run.sh unit conformance

test-system: all
	@sh tests/run.sh system cutover ownership

# the "no mail lost" measurement (issue 5): real Postfix/Dovecot, unbound
test-continuity: deps
	@$(MAKE) --no-print-directory all
	@sh tests/run.sh continuity

# the same at the production minimums (lowered TTL 60 s, min_wait 900 s,
# no test_timings); about 22 minutes, not part of `make test`
test-continuity-real: deps
	@$(MAKE) --no-print-directory all
	@sh tests/run.sh continuity-real

# Unit and conformance tests, then the system tests with the helper itself
# built with ASan+UBSan (leaks included). tests/run.sh gives the sanitizers
# their own exit codes (ASan 86, UBSan 87) and fails a suite whose output
# holds a sanitizer report.
sanitize: deps
	@$(MAKE) --no-print-directory all $(SAN_BIN) $(B)/asan/mailcutover
	@ASAN_OPTIONS=detect_leaks=1 sh tests/run.sh --sanitize unit conformance
	@ASAN_OPTIONS=detect_leaks=1:verify_asan_link_order=0 \
	    MAILCUTOVER_BIN=$(CURDIR)/$(B)/asan/mailcutover \
	    sh tests/run.sh system cutover

$(B)/asan/mailcutover: $(LIB_SRC) $(HELPER_SRC) $(wildcard xmlrpc/*.h plugin/helper/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -O1 -o $@ $(LIB_SRC) $(HELPER_SRC) $(LDLIBS)

demo: deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh

# Benchmark (issues 6, 14), not part of `make test`: bulk cutover of 100,
# 1000 and 10,000 domains against the emulator, the replay baseline, the
# list page in Chromium; writes bench/results.json.
bench: deps
	@$(MAKE) --no-print-directory all ext browser-deps $(B)/bench/dnsbench \
	    $(B)/bench/dnscount.so
	@/usr/bin/python3 bench/bench.py

# dnsprobe and the modules it is made of
DNSPROBE_OBJ = $(patsubst %,$(B)/plugin/helper/%.o,dnsprobe dnsq dnsrate dnsslot dnstcp)
$(B)/bench/dnsbench: bench/dnsbench.c $(DNSPROBE_OBJ) $(B)/libmcxmlrpc.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(DNSPROBE_OBJ) $(B)/libmcxmlrpc.a $(LDLIBS)

$(B)/bench/dnscount.so: bench/dnscount.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -fPIC -shared -o $@ $< -ldl

.PHONY: ext test-browser test-package test-portable browser-deps

# The installable Plesk extension: build/ext/mail-cutover-VERSION-RELEASE.zip
# (and the staged tree build/ext/mail-cutover/ the browser tests serve).
EXT_SRC = $(shell find plugin/meta.xml plugin/*.md plugin/htdocs plugin/plib \
	  plugin/var ui-templates -type f 2>/dev/null)
ext: $(B)/ext/mail-cutover.zip

$(B)/ext/mail-cutover.zip: $(SB)/mailcutover plugin/mkext.py $(EXT_SRC)
	@python3 plugin/mkext.py $(SB)/mailcutover $(B)/ext

# The packaged helper (issue 10): one static binary against musl, so that it
# runs on every OS Plesk runs on with no library installed. Its libraries
# (OpenSSL, libxml2, libcurl, ldns, libidn2 from Debian 12's sources) are built once
# by plugin/static/libs.sh into build/static/libs-KEY (KEY: their versions);
# a repeat make only checks that key. ./mailcutover stays the dynamic build
# for development, unit tests and sanitizers.
.PHONY: static portable-root FORCE
STATIC_CC = musl-gcc
STATIC_CFLAGS = -O2 -std=c11 -D_GNU_SOURCE -DMC_STATIC $(WARN) \
	   -DMC_VERSION='"$(VERSION)"' -I$(SB)/prefix/include \
	   -I$(SB)/prefix/include/libxml2 -Ixmlrpc -Iplugin/helper
STATIC_OBJ = $(LIB_SRC:%.c=$(SB)/obj/%.o) $(HELPER_SRC:%.c=$(SB)/obj/%.o)
STATIC_LIBS = -L$(SB)/prefix/lib -lcurl -lldns -lxml2 -lidn2 -lssl -lcrypto \
	   -lm -lpthread

static: $(SB)/mailcutover

$(SB)/libs.stamp: FORCE
	@sh plugin/static/libs.sh $(SB)
FORCE:

$(SB)/obj/%.o: %.c $(wildcard xmlrpc/*.h plugin/helper/*.h) $(SB)/libs.stamp
	@mkdir -p $(dir $@)
	@echo "  CC(static) $<"
	@$(STATIC_CC) $(STATIC_CFLAGS) -c -o $@ $<

$(SB)/mailcutover: $(STATIC_OBJ)
	$(STATIC_CC) -static -s -o $@ $(STATIC_OBJ) $(STATIC_LIBS)

$(B)/plugin/helper/selftest.o $(SB)/obj/plugin/helper/selftest.o: plugin/meta.xml

# The Debian 11 root the "portable" suite runs the packaged helper in
# (cached in build/root/; needs the network the first time).
portable-root:
	@sh tests/portable/mkroot.sh $(B)/root

# playwright-core from npm (tests/browser/package-lock.json)
browser-deps: tests/browser/node_modules/playwright-core/package.json

tests/browser/node_modules/playwright-core/package.json: tests/browser/package.json \
	    tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund
	@touch $@

test-browser: deps
	@$(MAKE) --no-print-directory all ext browser-deps
	@sh tests/run.sh browser

test-package: all ext
	@sh tests/run.sh package

test-portable: deps
	@$(MAKE) --no-print-directory all ext portable-root
	@sh tests/run.sh portable

clean:
	rm -rf $(B) mailcutover
