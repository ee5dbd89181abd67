# An asyncio loop (epoll selector, its self-pipe socket pair, stdin as a read pipe) that answers
# each line after a timer: "echo LINE-UPPERCASED". The answer is handed over through
# call_soon_threadsafe, which wakes the loop through the self-pipe. Ends at end of input.
import asyncio
import os
import sys


async def main():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print("ready", os.getpid(), flush=True)
    while True:
        line = await reader.readline()
        if not line:
            break
        answer = loop.create_future()
        loop.call_soon_threadsafe(answer.set_result, line.decode().strip().upper())
        await asyncio.sleep(0.02)
        print("echo", await answer, flush=True)
    print("done", flush=True)


asyncio.run(main())
