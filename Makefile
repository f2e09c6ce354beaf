# rabbitlab: a terminal teaching lab for RabbitMQ message reliability.
#
#   make run     build and start the lab (simulated engine)
#   make test    build and run every test (alias: make check)
#   make bench   print the benchmark figures
#   make fuzz-long  fuzz each parser for FUZZ_LONG_SECONDS (default 600)
#   make deps    install the missing Debian packages (root), or print the command
#   make install / uninstall   honour PREFIX and DESTDIR

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/rabbitlab
VERSION := 0.1.0

BUILD   ?= build
CC      ?= cc
PKGS    := ncursesw librabbitmq libconfig
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wwrite-strings -Werror
OPT     ?= -O2 -g
CFLAGS  ?=
CPPFLAGS += -Isrc -D_POSIX_C_SOURCE=200809L -DRABBITLAB_VERSION='"$(VERSION)"' \
            -DRABBITLAB_DATADIR='"$(DATADIR)"'
ALL_CFLAGS = -std=c11 $(WARN) $(OPT) $(CFLAGS) \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS     = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
TESTLIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

LIB_SRC  := $(sort $(wildcard src/util/*.c src/model/*.c src/broker/*.c src/gen/*.c \
                               src/client/*.c src/engine/*.c src/class/*.c \
                               src/lesson/*.c src/ui/*.c src/watch/*.c)) \
            $(filter-out src/cli/main.c,$(sort $(wildcard src/cli/*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BIN      := $(BUILD)/rabbitlab
MO       := $(BUILD)/locale/zh_CN/LC_MESSAGES/rabbitlab.mo
LOCALEDIR ?= $(PREFIX)/share/locale

# Debian packages the build and the tests need: package:check, where the
# check is a pkg-config module or a command.
DEPS := build-essential:cc pkg-config:pkg-config libncurses-dev:ncursesw \
        librabbitmq-dev:librabbitmq libconfig-dev:libconfig \
        libcmocka-dev:cmocka rabbitmq-server:/usr/lib/rabbitmq/bin/rabbitmq-server \
        tmux:tmux clang:clang libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a \
        valgrind:valgrind clang-format:clang-format gettext:msgfmt \
        python3:python3 python3-pika:/usr/lib/python3/dist-packages/pika \
        python3-pyte:/usr/lib/python3/dist-packages/pyte \
        amqp-tools:/usr/bin/amqp-publish \
        default-jdk-headless:/usr/bin/javac \
        librabbitmq-client-java:/usr/share/java/amqp-client.jar \
        iproute2:/bin/ss socat:/usr/bin/socat

.PHONY: all run test check quick bench deps install uninstall clean asan fuzz diff \
        fuzz-long
.DEFAULT_GOAL := all

all: $(BIN) $(MO)

# The Chinese interface catalogue; the screen finds it in locale/ beside
# the binary, or under LOCALEDIR once installed. zh_CN.po holds the
# screen's own strings (zh_CN-lab.po those added with issue 13,
# zh_CN-class.po the class dashboard and the teacher leading, issue 15),
# zh_CN-words.po the words for the model's tables
# (src/ui/words.c); they compile into one catalogue.
PO := assets/po/zh_CN.po assets/po/zh_CN-lab.po assets/po/zh_CN-words.po \
    assets/po/zh_CN-watch.po assets/po/zh_CN-class.po
$(MO): $(PO)
	@mkdir -p $(@D)
	msgcat --use-first -o $@.po $(PO)
	msgfmt -c -o $@ $@.po
	@rm -f $@.po

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# The panes read the lab through const pointers while they draw: no cast
# may drop that const (lab_animating once did, and a draw wrote a file).
$(BUILD)/src/ui/%.o: WARN += -Wcast-qual

$(BUILD)/librabbitlab.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/src/cli/main.o $(BUILD)/librabbitlab.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(LDFLAGS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/librabbitlab.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) $(shell pkg-config --cflags cmocka) \
	    -o $@ $< $(BUILD)/librabbitlab.a $(LIBS) $(TESTLIBS) $(LDFLAGS)

$(BUILD)/bench: tests/bench/bench.c $(BUILD)/librabbitlab.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(BUILD)/librabbitlab.a $(LIBS)

$(BUILD)/livebench: tests/bench/livebench.c $(BUILD)/librabbitlab.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(BUILD)/librabbitlab.a $(LIBS)

units: $(UNIT_BIN)

run: deps
	@$(MAKE) --no-print-directory all
	./$(BIN)

test check: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all units
	@bash tests/run.sh

# The checks that need no node and no sanitizer build (tests/run.sh QUICK).
quick: deps
	@$(MAKE) --no-print-directory all units
	@QUICK=1 bash tests/run.sh

bench: deps
	@$(MAKE) --no-print-directory BUILD=$(BUILD) all $(BUILD)/bench \
	    $(BUILD)/livebench $(BUILD)/uibench
	@BUILD=$(BUILD) bash tests/bench/run.sh

$(BUILD)/uibench: tests/bench/uibench.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< -lutil

deps:
	@missing=""; \
	for d in $(DEPS); do \
	  pkg=$${d%%:*}; chk=$${d#*:}; \
	  case $$chk in \
	    /*) [ -e $$chk ] && continue ;; \
	    cc|pkg-config|tmux|clang|valgrind|clang-format|msgfmt|python3) command -v $$chk >/dev/null 2>&1 && continue ;; \
	    *) pkg-config --exists $$chk 2>/dev/null && continue ;; \
	  esac; \
	  missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "make deps: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends$$missing; \
	else \
	  echo "make deps: missing packages; run as root:"; \
	  echo "  sudo apt-get update && sudo apt-get install -y$$missing"; \
	  exit 1; \
	fi

install: $(BIN) $(MO)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/lessons \
	    $(DESTDIR)$(LOCALEDIR)/zh_CN/LC_MESSAGES
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/rabbitlab
	install -m 644 lessons/*.cfg lessons/*.md $(DESTDIR)$(DATADIR)/lessons/
	install -m 644 $(MO) $(DESTDIR)$(LOCALEDIR)/zh_CN/LC_MESSAGES/rabbitlab.mo
	if [ -f assets/rabbitlab.1 ]; then install -d $(DESTDIR)$(MANDIR)/man1 && \
	  install -m 644 assets/rabbitlab.1 $(DESTDIR)$(MANDIR)/man1/; fi
	install -d $(DESTDIR)$(MANDIR)/zh_CN/man1
	install -m 644 assets/zh_CN/rabbitlab.1 $(DESTDIR)$(MANDIR)/zh_CN/man1/rabbitlab.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/rabbitlab $(DESTDIR)$(MANDIR)/man1/rabbitlab.1 \
	    $(DESTDIR)$(MANDIR)/zh_CN/man1/rabbitlab.1 \
	    $(DESTDIR)$(LOCALEDIR)/zh_CN/LC_MESSAGES/rabbitlab.mo
	rm -rf $(DESTDIR)$(DATADIR)

# Sanitizer build in its own tree; tests/run.sh drives it.
asan:
	@$(MAKE) --no-print-directory BUILD=build-asan \
	    OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined" build-asan/rabbitlab units \
	    build-asan/locale/zh_CN/LC_MESSAGES/rabbitlab.mo

# libFuzzer targets (clang): the script loader, and the fault relay's frame
# parser, which needs only its own module and the socket helpers.
FUZZ_FLAGS := -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined
fuzz: $(BUILD)/fuzz_script $(BUILD)/fuzz_relay $(BUILD)/fuzz_watch \
    $(BUILD)/fuzz_class
$(BUILD)/fuzz_script: tests/fuzz/fuzz_script.c $(LIB_SRC)
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(FUZZ_FLAGS) \
	    $(shell pkg-config --cflags $(PKGS)) -o $@ tests/fuzz/fuzz_script.c \
	    $(LIB_SRC) $(LIBS)
$(BUILD)/fuzz_relay: tests/fuzz/fuzz_relay.c tests/fuzz/convo.h \
    src/engine/live_relay.c \
    src/engine/live_relay.h src/engine/live_frame.c src/engine/live_frame.h \
    src/util/xmalloc.c src/util/mono.c src/util/sock.c src/util/sock.h
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_relay.c \
	    src/engine/live_relay.c src/engine/live_frame.c src/util/xmalloc.c \
	    src/util/mono.c src/util/sock.c

# The watch proxy's decoding path: splitter, rabbitmq-c's decoders (the
# system library, not instrumented), tracker and ledger.
WATCH_FUZZ_SRC := src/watch/watch_proxy.c src/watch/watch_decode.c \
    src/watch/watch_track.c src/watch/watch_seen.c src/engine/live_frame.c \
    src/model/event.c \
    src/model/ledger.c src/model/topology.c src/util/xmalloc.c src/util/mono.c \
    src/util/sock.c
$(BUILD)/fuzz_watch: tests/fuzz/fuzz_watch.c tests/fuzz/convo.h \
    $(WATCH_FUZZ_SRC) $(wildcard src/watch/*.h) src/engine/live_frame.h \
    src/util/sock.h
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(FUZZ_FLAGS) $(shell pkg-config --cflags librabbitmq) \
	    -o $@ tests/fuzz/fuzz_watch.c $(WATCH_FUZZ_SRC) \
	    $(shell pkg-config --libs librabbitmq)

# The class dashboard's event decoder: bytes any peer may publish.
$(BUILD)/fuzz_class: tests/fuzz/fuzz_class.c src/class/class_event.c src/util/utf8.c \
    src/class/class_event.h
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_class.c \
	    src/class/class_event.c src/util/utf8.c

# Each target for FUZZ_LONG_SECONDS with leak detection on; fails on a
# crash, a leak, or libFuzzer switching leak detection off.
FUZZ_LONG_SECONDS ?= 600
# The differential campaign: N generated scenarios from seed SEED on the
# simulated engine and on three private RabbitMQ nodes; OUT=DIR shrinks
# each difference to a minimal script there.
N ?= 500
SEED ?= 1
diff: deps all
	@bash tests/live/diff.sh $(BIN) $(SEED) $(N) $(OUT)

fuzz-long: fuzz
	@BUILD=$(BUILD) FUZZ_LONG_SECONDS=$(FUZZ_LONG_SECONDS) \
	    bash tests/fuzz/long.sh

clean:
	rm -rf build build-asan

-include $(LIB_OBJ:.o=.d) $(BUILD)/src/cli/main.d
