"""A waiter's mailbox keeps what it heard between two looks (the listener delivers while the
waiter is busy reading), and news of a test apart from news of an end."""

from __future__ import annotations

import asyncio

from codearena.service.waiters import Mailbox, Waiters


def test_news_heard_while_the_waiter_was_busy_is_all_there_at_its_next_look():
    async def scenario():
        waiters = Waiters(client=None, done_channel="p:done", tested_channel="p:tested")
        mailbox = waiters.register("job")
        waiters._deliver("p:tested", "job")
        waiters._deliver("p:done", 'job {"id": "job"}')
        waiters._deliver("p:done", "other")  # another job's news reaches no one here
        first = await mailbox.wait(5)
        second = await asyncio.wait_for(mailbox.wait(0.01), 5)
        waiters.unregister("job", mailbox)
        return first, second, waiters._mailboxes

    first, second, left = asyncio.run(scenario())
    assert first == ('{"id": "job"}', False, True)  # the end's record and the test, in one look
    assert second == (None, False, False)  # emptied by the look; waited its time out
    assert not left


def test_a_bare_id_on_done_means_read_the_job():
    async def scenario():
        mailbox = Mailbox()
        mailbox.ended(None)  # a big result (or an older worker's news of a test)
        return await mailbox.wait(5)

    assert asyncio.run(scenario()) == (None, True, False)
