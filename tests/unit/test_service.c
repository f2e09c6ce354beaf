/*
 * The trade service shared by both engines: idempotency decisions per
 * consumer, each with its own stores however many there are, and the
 * local retry backoff, which stops at its cap instead of overflowing.
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
	struct service_memory mem;
	uint8_t effects = 0;

	(void)state;
	service_memory_init(&mem, 1);
	assert_int_equal(service_work(&mem, IDEM_OFF, 0, 7, 7, &effects),
	    SERVICE_DONE);
	assert_int_equal(service_work(&mem, IDEM_OFF, 0, 7, 7, &effects),
	    SERVICE_DONE_AGAIN);
	assert_int_equal(effects, 2);
	assert_true(service_paid(&mem, 0, 7));
	service_memory_free(&mem);
	assert_null(mem.stores);
}

static void
test_message_id_store(void **state)
{
	struct service_memory mem;
	uint8_t effects = 0, effects2 = 0;

	(void)state;
	service_memory_init(&mem, 2);
	assert_int_equal(service_work(&mem, IDEM_MESSAGE_ID, 0, 1000, 1,
	    &effects), SERVICE_DONE);
	/* A redelivery keeps its message-id: skipped. */
	assert_int_equal(service_work(&mem, IDEM_MESSAGE_ID, 0, 1000, 1,
	    &effects), SERVICE_SKIP_MSGID);
	/* A resend of the same order under a new id is done again. */
	assert_int_equal(service_work(&mem, IDEM_MESSAGE_ID, 0, 1001, 1,
	    &effects), SERVICE_DONE_AGAIN);
	assert_int_equal(effects, 2);
	/* Another consumer (another service) has its own store. */
	assert_int_equal(service_work(&mem, IDEM_MESSAGE_ID, 1, 1000, 1,
	    &effects2), SERVICE_DONE);
	service_memory_free(&mem);
}

static void
test_business_check(void **state)
{
	struct service_memory mem;
	uint8_t effects = 0;

	(void)state;
	service_memory_init(&mem, 4);
	assert_int_equal(service_work(&mem, IDEM_BUSINESS, 2, 5, 9, &effects),
	    SERVICE_DONE);
	assert_int_equal(service_work(&mem, IDEM_BUSINESS, 2, 6, 9, &effects),
	    SERVICE_SKIP_BUSINESS);
	assert_int_equal(effects, 1);
	assert_int_equal(service_work(&mem, IDEM_BUSINESS, 3, 6, 9, &effects),
	    SERVICE_DONE);
	assert_true(service_paid(&mem, 2, 9) && service_paid(&mem, 3, 9));
	assert_false(service_paid(&mem, 0, 9));
	service_memory_free(&mem);
}

/*
 * Regression: consumers were told apart by slot ci % 8, so consumer 8
 * shared consumer 0's stores and a first delivery to it was "seen before".
 */
static void
test_many_consumers_do_not_alias(void **state)
{
	struct service_memory mem;
	uint8_t effects = 0;

	(void)state;
	service_memory_init(&mem, 1000);
	for (int ci = 0; ci < 1000; ci += 8)
		assert_int_equal(service_work(&mem, IDEM_MESSAGE_ID, ci, 42,
		    42, &effects), SERVICE_DONE);
	for (int ci = 0; ci < 1000; ci += 8)
		assert_int_equal(service_work(&mem, IDEM_BUSINESS, ci, 43, 42,
		    &effects), SERVICE_SKIP_BUSINESS);
	assert_int_equal(effects, 125);
	service_mark_paid(&mem, 0, 77);
	assert_true(service_paid(&mem, 0, 77));
	assert_false(service_paid(&mem, 8, 77));
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

/*
 * Regression: the wait was multiplied before it was capped, so with a
 * multiplier of 100 it overflowed int64 after about 11 attempts and the
 * loop gave up early. Every attempt up to the last must wait the cap.
 */
static void
test_retry_wait_never_overflows(void **state)
{
	int64_t t[TOGGLE_COUNT];

	(void)state;
	toggle_defaults(t);
	t[TOGGLE_RETRY] = 1;
	t[TOGGLE_RETRY_ATTEMPTS] = 1000;
	t[TOGGLE_RETRY_MULTIPLIER] = 100000; /* x100 */
	t[TOGGLE_RETRY_INITIAL_MS] = 1;
	t[TOGGLE_RETRY_MAX_MS] = 1;
	for (int a = 1; a < 1000; a++)
		assert_int_equal(service_retry_wait(t, a), 1000);
	assert_int_equal(service_retry_wait(t, 1000), -1);
	t[TOGGLE_RETRY_MAX_MS] = 3600000;
	for (int a = 1; a < 1000; a++) {
		int64_t w = service_retry_wait(t, a);
		assert_true(w >= 1000 && w <= 3600000000LL);
	}
	assert_int_equal(service_retry_wait(t, 999), 3600000000LL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_idempotency_does_twice),
		cmocka_unit_test(test_message_id_store),
		cmocka_unit_test(test_business_check),
		cmocka_unit_test(test_many_consumers_do_not_alias),
		cmocka_unit_test(test_retry_wait),
		cmocka_unit_test(test_retry_wait_never_overflows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
