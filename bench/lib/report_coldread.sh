# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# report_coldread.sh: the analysis of cold reads (issue 21, target 1) for
# BENCHMARKS.md: where a cold `tar` spends its time on netbootfs, measured
# once by hand (perf, the fuse tracepoints, strace -c, /proc/PID/stat), and
# why what remains cannot be removed with /dev/fuse. Prose, not a table: the
# figures are the ones of that measurement, not of the run being reported.

report_coldread()
{
	cat <<'EOF'
### Cold reads: where the time goes

Measured on the bench image (297 MiB gzip squashfs, 128 KiB blocks, 66,069 entries, 57,326
regular files, 892 MiB) with a cold `tar -cf - . | wc -c`: FUSE requests paired by `unique`
from the tracepoints `fuse:fuse_request_send` / `fuse_request_end`, `perf record -g`
system-wide and of the daemon, `strace -c -f` of the daemon, CPU from `/proc/PID/stat`.

- **Not decompression.** libdeflate is 16% of the daemon's samples (about 0.9 s for the
  892 MiB); the image is read in 8,616 `pread`s, each of the 2,971 fragment blocks once
  (the shared block cache), with the host's read-ahead behind them. The kernel does the
  same inflation with zlib in the reader's context (5.5 s of system time for `tar` on
  kernel squashfs + overlayfs, decompression included).
- **Round trips.** A cold file costs the reader two: the READ of its data (read-ahead,
  queued in the background; the reader then waits for the page) and a GETATTR, because the
  kernel invalidates a FUSE inode's atime after every READ (`fuse_invalidate_atime`, skipped
  only on a read-only superblock; node roots are writable) and `tar`'s `fstat` after reading
  then has to ask. 68,854 READs and 61,697 GETATTRs: within 20% of one of each per file.
- **Each round trip is two wake-ups, and on this VM a wake-up is the cost.** Served on the
  CPU that sent it, a GETATTR takes 4 µs (median) from send to answer, a READ 9 µs; served
  on the other vCPU, 39 µs and 44 µs. 65% are served on the other vCPU: /dev/fuse has one
  queue per connection, and the scheduler wakes a worker on the idle CPU, which this VM
  halts without polling (`guest_halt_poll_ns` is 0), so every wake is a VM exit and entry.
  The reader's own system time shows it: in a quiet run `tar` spent 4.1 s in the kernel,
  about 40% of its samples in waking the daemon (`fuse_dev_queue_req` → `__wake_up`), against
  1.5-1.8 s when the machine was loaded and the other vCPU was not idle. The daemon's CPU
  time per GiB read cold moves the same way (6.2 s quiet, 3.4-3.6 s loaded), 69% of it in the
  kernel (`finish_task_switch`, the re-enabling of interrupts after a wake). Four system
  calls per request (`epoll_wait`, `read`, `epoll_ctl`, `writev`).
- **What was done.** Node roots read ahead 1 MiB instead of 128 KiB (the mount's bdi
  `read_ahead_kb`, kept through INIT's `max_readahead`; `max_pages` was already 256): 8.7%
  fewer READs in the walk (62,848), and a large file comes in 1 MiB READs (690 READs carry
  45% of the bytes; a cold 3 MiB file takes 5 READs instead of 13).
- **What remains, and why.** One READ per file is the least the kernel asks when the data
  is not in its page cache. The GETATTR after it could only be spared by not having the
  READ: pushing data into the page cache first (`FUSE_NOTIFY_STORE`) would do it, but with
  `no_open` the daemon cannot know a file is being written, and a push racing a write would
  put old bytes over new ones in the cache. What is left is the cost per round trip, and
  what decides it is on which CPU the daemon answers: FUSE over io_uring queues requests per
  CPU and answers them there (kernel 6.14+, libfuse 3.18+; Debian 12 has 3.14). With the
  latencies above, the READs and GETATTRs of a cold `tar` would add up to about 3.9 s served
  locally instead of 6.6 s as now: that, not decompression or the union, is the gap to the
  kernel's cold read.

EOF
}
