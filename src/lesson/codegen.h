/*
 * From the lab back to real code: the toggles and topology written as a
 * Spring Boot application.yml, the matching Java pieces, and rabbitmq-c
 * calls.
 */
#ifndef RL_CODEGEN_H
#define RL_CODEGEN_H

#include <stdint.h>
#include <stdio.h>

#include "model/toggle.h"
#include "model/topology.h"

/*
 * Writes the three views to `out`; comments in `lang` ("en" or "zh"). `topo`
 * may be NULL (no queue declarations).
 */
void codegen_write(FILE *out, const int64_t toggles[TOGGLE_COUNT],
    const struct topology *topo, const char *lang);

#endif
