"""Runs a command on a pseudo-terminal and relays it to plain pipes, so a test can type into an interactive
program (readline, raw mode, Ctrl-C as a key) and read what its terminal shows. Exit code passed through.

Usage: python bridge.py COMMAND [ARGS...]   (stdin: keys to type; stdout: the terminal's output)
"""

import fcntl
import os
import pty
import select
import struct
import sys
import termios


def main(argv: list[str]) -> int:
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    # A terminal of a known size: programs read their width from it.
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    inputs = [fd, sys.stdin.fileno()]
    while True:
        ready, _, _ = select.select(inputs, [], [])
        if fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed its terminal (it has exited)
                break
            if not data:
                break
            os.write(sys.stdout.fileno(), data)
        if sys.stdin.fileno() in ready:
            data = os.read(sys.stdin.fileno(), 65536)
            if data:
                os.write(fd, data)
            else:  # the test closed our stdin: keep relaying output, type nothing more
                inputs.remove(sys.stdin.fileno())
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
