/*
 * The monotonic clock, for timeouts and waits that must not follow changes
 * to the wall clock.
 */
#ifndef RL_MONO_H
#define RL_MONO_H

/* Seconds on the monotonic clock (CLOCK_MONOTONIC), from an arbitrary
 * origin: only differences mean anything. */
double mono_seconds(void);

/* Sleeps `ms` milliseconds in all; a signal that interrupts the sleep
 * does not shorten it. */
void mono_sleep_ms(long ms);

#endif
