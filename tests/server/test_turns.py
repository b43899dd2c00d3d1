"""Requests take turns for their engine work: first come first served, the loop polled before each."""

from __future__ import annotations

import asyncio

import pytest

from pathways.server.turns import Turns


def test_a_turn_runs_the_work_and_gives_its_result_or_its_error() -> None:
    turns = Turns()

    def fail() -> None:
        raise ValueError("bad answers")

    async def main() -> None:
        assert await turns.take(lambda: 42) == 42
        with pytest.raises(ValueError, match="bad answers"):
            await turns.take(fail)
        assert await turns.take(lambda: "after an error") == "after an error"  # the turn was given back

    asyncio.run(main())


def test_the_loop_runs_what_is_ready_before_a_turn() -> None:
    """What the loop already has to do (a socket read that queues a request) comes before the work:
    a request read meanwhile gets in line instead of waiting for the whole next batch."""
    events: list[str] = []
    turns = Turns()

    async def main() -> None:
        asyncio.get_running_loop().call_soon(events.append, "read")
        await turns.take(lambda: events.append("work"))

    asyncio.run(main())
    assert events == ["read", "work"]


def test_turns_go_in_arrival_order_with_the_loop_polled_between_two() -> None:
    """Five requests read in one poll: between two turns the loop runs what came in meanwhile (here a
    read that queues a late request), and the late request waits behind the four still waiting."""
    order: list[str] = []
    turns = Turns()

    async def request(name: str) -> None:
        await turns.take(lambda: order.append(name))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        late: list[asyncio.Task[None]] = []

        def read() -> None:  # what an I/O callback does: a request is read, its task created
            order.append("read")
            late.append(loop.create_task(request("late")))

        def first() -> None:
            order.append("a")
            loop.call_soon(read)  # the socket becomes readable while "a" has its turn

        tasks = [loop.create_task(turns.take(first))]
        tasks += [loop.create_task(request(name)) for name in "bcde"]
        await asyncio.gather(*tasks)
        await asyncio.gather(*late)

    asyncio.run(main())
    assert order == ["a", "read", "b", "c", "d", "e", "late"]


def test_only_one_turn_at_a_time_and_every_waiter_is_served() -> None:
    turns = Turns()
    running = 0
    most = 0

    def work() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        running -= 1

    async def request() -> None:
        for _ in range(5):
            await turns.take(work)
            await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(*(request() for _ in range(20)))

    asyncio.run(main())
    assert most == 1


def test_the_same_turns_serve_one_event_loop_after_another() -> None:
    """An app may outlive its loop (tests start a new one per client): a lock serves one loop only."""
    turns = Turns()

    async def main() -> list[int]:
        return list(await asyncio.gather(*(turns.take(lambda i=i: i) for i in range(3))))

    assert asyncio.run(main()) == [0, 1, 2]
    assert asyncio.run(main()) == [0, 1, 2]
