"""A test-only app: the outbox subscribers that core/tests/test_outbox_worker.py needs inside its worker processes.

pos_project/settings/test.py installs it only when OUTBOX_TEST_SUBSCRIBERS is set, which that test does in the
environment of the workers it starts; no other process ever registers these subscribers.
"""
