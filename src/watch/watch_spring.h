/*
 * What the lab saw the application do, as the Spring Boot properties that
 * would make a Spring application do the same, and, for each way its
 * messages were lost (the ledger's loss reasons), the setting that would
 * have saved them. Read from the tracker's ledger and what the frames
 * showed (watch_seen.h); the screen's `e` and the headless `spring`
 * command both use it.
 *
 * Properties and settings are Spring names and values, the same in every
 * language; `says` is English for the headless output, and the screen
 * words its own sentence per reason.
 */
#ifndef RL_WATCH_SPRING_H
#define RL_WATCH_SPRING_H

#include <stdint.h>
#include <stdio.h>

#include "model/event.h"
#include "watch/watch_track.h"

#define WATCH_SPRING_PROPS 8

struct watch_spring_prop {
	const char *key;     /* spring.rabbitmq.... */
	char value[48];      /* as it goes in application.properties */
	int seen;            /* 0: not on the wire; value is Spring's default */
};

struct watch_spring_fix {
	enum loss_reason why;
	uint64_t lost;       /* messages lost so */
	const char *setting; /* what would have saved them (Spring names) */
	const char *says;    /* why, in English */
};

struct watch_spring {
	struct watch_spring_prop props[WATCH_SPRING_PROPS];
	size_t nprops;
	struct watch_spring_fix fixes[LOSS_COUNT];
	size_t nfixes;
	uint64_t lost;       /* lost messages in all */
	uint64_t autoack_broken; /* watch_seen.autoack_broken */
};

/* Fills *out from what tracker t has seen so far. */
void watch_spring_read(struct watch_track *t, struct watch_spring *out);
/* The same as one JSON object on `out`:
 * {"command":"spring","properties":{...},"not_on_the_wire":[...],
 *  "lost":N,"fixes":[{"reason":...,"lost":N,"setting":...,"why":...}]} */
void watch_spring_json(struct watch_track *t, FILE *out);

#endif
