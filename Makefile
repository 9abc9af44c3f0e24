# tlsmon build. `make` builds ./tlsmon; `make test` runs every test;
# `make demo` runs tlsmon on pcaps/; `make asan` builds ./tlsmon-asan with
# AddressSanitizer + UndefinedBehaviorSanitizer. Every target installs the
# Debian packages it needs first (`make deps`).

CC       ?= cc
# Link-time optimisation lets the per-packet helpers of one module (span
# reads, SipHash, decoding) inline into another: ~4 % fewer instructions
# per packet on the bench file.
CFLAGS   ?= -O2 -g -flto=auto
LDFLAGS  ?= -flto=auto
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2
CPPFLAGS += -I. -D_GNU_SOURCE $(shell pkg-config --cflags libndpi 2>/dev/null)
LDLIBS   += -lpcap -lndpi -lcrypto -ljansson -lz -lm -lpthread
# Wireshark's wiretap headers (capture/source_wiretap.c only, which loads the library
# when a file libpcap refuses comes).
WTAP_CPPFLAGS = $(shell pkg-config --cflags glib-2.0 2>/dev/null) -I/usr/include/wireshark
%source_wiretap.o: CPPFLAGS += $(WTAP_CPPFLAGS)
IANA_CSV ?= data/tls-parameters-4.csv

# Debian packages: build, tests, and the sample-capture script.
DEB_BUILD := libpcap-dev libndpi-dev libssl-dev pkg-config libjansson-dev zlib1g-dev \
             libwiretap-dev libwsutil-dev libglib2.0-dev
DEB_TEST  := libcmocka-dev python3 jq clang libclang-rt-14-dev valgrind time libndpi-bin tshark \
             tcpreplay iproute2

SRC := tlsmon.c engine.c monitor.c worker_pipe.c \
       capture/decode.c capture/facts.c capture/ipfrag.c capture/flow_table.c capture/pool.c capture/siphash.c capture/tcp_reasm.c capture/source.c \
       capture/source_wiretap.c \
       capture/live.c \
       dissect/tls_hello.c dissect/tls_stream.c dissect/session.c dissect/fingerprint.c dissect/classify.c \
       dissect/plaintext.c dissect/starttls_smtp.c dissect/starttls_pop3.c dissect/starttls_imap.c \
       dissect/starttls_ftp.c dissect/starttls_misc.c dissect/starttls_xmpp.c dissect/starttls_ldap.c \
       dissect/starttls_pgsql.c dissect/dtls.c dissect/stun.c dissect/quic.c dissect/tds.c \
       report/json.c report/handshake_log.c report/summary.c report/tally.c report/cipher_lookup.c \
       report/readiness.c report/readiness_out.c report/readiness_html.c report/client_labels.c \
       report/metrics.c
GEN := build/cipher_names.c
OBJ := $(SRC:%.c=build/%.o) build/cipher_names.o
ASAN_OBJ := $(SRC:%.c=build/asan/%.o) build/asan/cipher_names.o
LIB_OBJ := $(filter-out build/tlsmon.o,$(OBJ))

.PHONY: all deps demo test unit tsan-source e2e e2e-live conformance conformance-gate bench bench-live flood fuzz \
        fuzz-smoke asan asan-corpus clean format check-format install

all: deps tlsmon

# Install missing Debian packages (sudo when not root; nothing when all are there).
deps: build/.deps-$(subst $() $(),_,$(DEB_BUILD) $(DEB_TEST))
build/.deps-%:
	@mkdir -p build
	@missing=""; for p in $(DEB_BUILD) $(DEB_TEST); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  echo "wireshark-common wireshark-common/install-setuid boolean false" | $$SUDO debconf-set-selections; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@touch $@

build/cipher_names.c: $(IANA_CSV) tools/gen-cipher-names
	@mkdir -p build
	python3 tools/gen-cipher-names $(IANA_CSV) $@

build/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c $< -o $@

build/cipher_names.o: build/cipher_names.c
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c $< -o $@

tlsmon: $(OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
build/asan/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ASAN_FLAGS) $(WARN) -MMD -MP -c $< -o $@
build/asan/cipher_names.o: build/cipher_names.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ASAN_FLAGS) $(WARN) -c $< -o $@
tlsmon-asan: $(ASAN_OBJ)
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)
asan: deps tlsmon-asan

# ---- tests -------------------------------------------------------------
UNIT_TESTS := $(patsubst tests/unit/%.c,build/tests/%,$(wildcard tests/unit/test_*.c))
build/tests/%: tests/unit/%.c $(LIB_OBJ) tests/unit/testutil.h
	@mkdir -p build/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(LIB_OBJ) $(LDLIBS) -lcmocka

unit: deps $(UNIT_TESTS)
	@failed=0; for t in $(UNIT_TESTS); do echo "== $$t"; $$t || failed=$$((failed + 1)); done; \
	if [ $$failed -ne 0 ]; then echo "unit: $$failed test program(s) failed"; exit 1; fi

SHARED ?= ../shared
e2e: deps tlsmon tlsmon-asan
	tests/e2e/run-e2e.sh
	tests/e2e/run-report.sh
	@if [ -x $(SHARED)/tools/oracle ]; then \
	  ORACLE=$(abspath $(SHARED)/tools/oracle) pcaps/mail/check-mail-pcaps.sh --strict && \
	  ORACLE=$(abspath $(SHARED)/tools/oracle) pcaps/turn/check-turn-pcaps.sh --strict; \
	else echo "mail captures: skipped ($(SHARED)/tools/oracle not found)"; fi

# Live capture on a veth pair in a network namespace (root only; skipped
# with a message otherwise).
e2e-live: deps tlsmon
	tests/e2e/run-live.sh

conformance-gate: tlsmon
	tests/conformance-gate.sh

test: deps check-format unit build/null_loop build/reader_floor tsan-source e2e e2e-live conformance-gate asan-corpus fuzz-smoke
	@echo "make test: all tests passed"

demo: deps tlsmon
	@rm -f build/demo-handshakes.ndjson
	./tlsmon -r pcaps --log build/demo-handshakes.ndjson
	@echo; echo "Handshake log: build/demo-handshakes.ndjson (first line:)"; head -n 1 build/demo-handshakes.ndjson

conformance: tlsmon
	../shared/tools/conformance --tlsmon ./tlsmon -j 2

build/null_loop: bench/null_loop.c | deps
	@mkdir -p build
	$(CC) -O2 $(WARN) -o $@ $< -lpcap

# tlsmon's reading stage alone (its thread, batch copies, frame facts).
build/reader_floor: bench/reader_floor.c $(LIB_OBJ) | deps
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(LIB_OBJ) $(LDLIBS)

bench: deps tlsmon build/null_loop build/reader_floor
	bench/run-bench.sh

# Live capture at rising tcpreplay rates, 1 and 2 workers (root only).
bench-live: deps tlsmon
	bench/run-bench-live.sh

# ---- install -----------------------------------------------------------
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(PREFIX)/bin
MANDIR  := $(PREFIX)/share/man
DATADIR := $(PREFIX)/share/tlsmon
UNITDIR ?= $(PREFIX)/lib/systemd/system
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 tlsmon $(DESTDIR)$(BINDIR)/tlsmon
	install -m 0644 tlsmon.8 $(DESTDIR)$(MANDIR)/man8/tlsmon.8
	install -m 0644 data/client-fingerprints.tsv $(DESTDIR)$(DATADIR)/client-fingerprints.tsv
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' packaging/tlsmon.service \
	  >$(DESTDIR)$(UNITDIR)/tlsmon.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/tlsmon.service

# The threaded capture reader under ThreadSanitizer (its unit test).
build/tests/test_source-tsan: tests/unit/test_source.c capture/source.c capture/source_wiretap.c \
                              capture/decode.c | deps
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) $(WTAP_CPPFLAGS) -fsanitize=thread -g -O1 $(WARN) -o $@ $^ -lpcap -lcmocka \
	  -lpthread
tsan-source: build/tests/test_source-tsan
	TSAN_OPTIONS=halt_on_error=1 build/tests/test_source-tsan

# ---- fuzzing (clang libFuzzer, ASan + UBSan) ---------------------------
# One harness per entry point; fuzz_starttls.c is built once per STARTTLS
# machine. `make fuzz FUZZ_SECONDS=N [FUZZ_JOBS=2] [FUZZ_ONLY="fuzz_dtls ..."]`
# runs each (or the named ones) N seconds; fuzz-smoke (make test) replays the
# kept regression inputs and fuzzes about a minute in all.
FUZZ_CFLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_OBJ := $(filter-out build/fuzz/obj/tlsmon.o,$(SRC:%.c=build/fuzz/obj/%.o)) build/fuzz/obj/cipher_names.o
STARTTLS_MACHINES := smtp pop3 imap ftp nntp sieve xmpp ldap pgsql
FUZZ_NAMES := fuzz_tls_stream fuzz_datagram fuzz_capture fuzz_report_line fuzz_dtls fuzz_framing \
              $(STARTTLS_MACHINES:%=fuzz_starttls_%)
FUZZ_TARGETS := $(FUZZ_NAMES:%=build/fuzz/%)
FUZZ_ONLY ?=
FUZZ_RUN := $(if $(FUZZ_ONLY),$(FUZZ_ONLY:%=build/fuzz/%),$(FUZZ_TARGETS))
build/fuzz/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(WARN) -c $< -o $@
build/fuzz/obj/cipher_names.o: build/cipher_names.c
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -c $< -o $@
build/fuzz/fuzz_starttls_%: tests/fuzz/fuzz_starttls.c tests/fuzz/fuzz_input.h $(FUZZ_OBJ)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(WARN) -DSTARTTLS_MACHINE=starttls_$* \
	  -o $@ $< $(FUZZ_OBJ) $(LDLIBS)
build/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_input.h $(FUZZ_OBJ)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(WARN) -o $@ $< $(FUZZ_OBJ) $(LDLIBS)

FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 1
fuzz: deps $(FUZZ_RUN)
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run-fuzz.sh $(notdir $(FUZZ_RUN))

fuzz-smoke: deps $(FUZZ_TARGETS)
	SMOKE=1 FUZZ_TOTAL_SECONDS=60 FUZZ_JOBS=1 tests/fuzz/run-fuzz.sh $(FUZZ_NAMES)

flood: deps tlsmon
	tests/flood/run-flood.sh

asan-corpus: tlsmon-asan
	@if [ -d $(SHARED)/corpus/ndpi ]; then tests/e2e/asan-corpus.sh $(SHARED)/corpus/ndpi; \
	else echo "asan-corpus: skipped ($(SHARED)/corpus/ndpi not found)"; fi

FORMAT_FILES = $(SRC) $(wildcard *.h */*.h) $(wildcard tests/unit/*.c tests/unit/*.h tests/fuzz/*.c tests/fuzz/*.h) bench/null_loop.c bench/reader_floor.c
format:
	clang-format -i $(FORMAT_FILES)
check-format:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "check-format: clean"

clean:
	rm -rf build/*.o build/capture build/dissect build/report build/asan build/tests build/cipher_names.c tlsmon tlsmon-asan

-include $(OBJ:.o=.d) $(ASAN_OBJ:.o=.d)
