/*
 * The trade service shared by both engines: idempotency decisions per
 * consumer slot, and the local retry backoff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/service.h"
#include "model/toggle.h"

static void
test_no_idempotency_does_twice(void **state)
{
	struct service_memory mem = { 0 };
	uint8_t mask = 0, effects = 0;

	(void)state;
	assert_int_equal(service_work(&mem, IDEM_OFF, 0, 7, &mask, &effects),
	    SERVICE_DONE);
	assert_int_equal(service_work(&mem, IDEM_OFF, 0, 7, &mask, &effects),
	    SERVICE_DONE_AGAIN);
	assert_int_equal(effects, 2);
	assert_int_equal(mask, service_slot(0));
	service_memory_free(&mem);
	assert_null(mem.seen);
}

static void
test_message_id_store(void **state)
{
	struct service_memory mem = { 0 };
	uint8_t mask = 0, effects = 0, mask2 = 0, effects2 = 0;

	(void)state;
	assert_int_equal(service_work(&mem, IDEM_MESSAGE_ID, 0, 1000, &mask,
	    &effects), SERVICE_DONE);
	/* A redelivery keeps its message-id: skipped. */
	assert_int_equal(service_work(&mem, IDEM_MESSAGE_ID, 0, 1000, &mask,
	    &effects), SERVICE_SKIP_MSGID);
	/* A resend of the same order under a new id is done again. */
	assert_int_equal(service_work(&mem, IDEM_MESSAGE_ID, 0, 1001, &mask,
	    &effects), SERVICE_DONE_AGAIN);
	assert_int_equal(effects, 2);
	/* Another consumer (another service) has its own store. */
	assert_int_equal(service_work(&mem, IDEM_MESSAGE_ID, 1, 1000, &mask2,
	    &effects2), SERVICE_DONE);
	/* Slots wrap at 8: consumer 8 shares consumer 0's store. */
	assert_int_equal(service_slot(8), service_slot(0));
	assert_true(mem.cap > 1001);
	service_memory_free(&mem);
}

static void
test_business_check(void **state)
{
	struct service_memory mem = { 0 };
	uint8_t mask = 0, effects = 0;

	(void)state;
	assert_int_equal(service_work(&mem, IDEM_BUSINESS, 2, 5, &mask,
	    &effects), SERVICE_DONE);
	assert_int_equal(service_work(&mem, IDEM_BUSINESS, 2, 6, &mask,
	    &effects), SERVICE_SKIP_BUSINESS);
	assert_int_equal(effects, 1);
	assert_int_equal(service_work(&mem, IDEM_BUSINESS, 3, 6, &mask,
	    &effects), SERVICE_DONE);
	assert_int_equal(mask, service_slot(2) | service_slot(3));
	service_memory_free(&mem);
}

static void
test_retry_wait(void **state)
{
	int64_t t[TOGGLE_COUNT];

	(void)state;
	toggle_defaults(t);
	t[TOGGLE_RETRY] = 0;
	assert_int_equal(service_retry_wait(t, 1), -1);
	t[TOGGLE_RETRY] = 1;
	t[TOGGLE_RETRY_ATTEMPTS] = 3;
	t[TOGGLE_RETRY_INITIAL_MS] = 1000;
	t[TOGGLE_RETRY_MULTIPLIER] = 2000; /* x2.0, in thousandths */
	t[TOGGLE_RETRY_MAX_MS] = 10000;
	assert_int_equal(service_retry_wait(t, 1), 1000000);
	assert_int_equal(service_retry_wait(t, 2), 2000000);
	assert_int_equal(service_retry_wait(t, 3), -1);
	t[TOGGLE_RETRY_ATTEMPTS] = 10;
	assert_int_equal(service_retry_wait(t, 5), 10000000); /* capped */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_idempotency_does_twice),
		cmocka_unit_test(test_message_id_store),
		cmocka_unit_test(test_business_check),
		cmocka_unit_test(test_retry_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
