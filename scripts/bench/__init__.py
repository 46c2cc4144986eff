"""`make bench`: measures smitop's performance targets and writes docs/benchmarks.md.

What it measures (each section is independent; a failing measurement is reported in the
page, never aborts the run):

  listing   `smitop splits -A -o json` vs `kubectl get trafficsplits -A -o json` vs one
            unpaged `curl` GET of the same list, against `smitop sim --scenario generated`
            with 100, 1,000 and 10,000 TrafficSplits: wall time, CPU, peak RSS (wait4), the
            simulator's CPU time during each run.
  startup   the TUI in tmux (200x50) against 5,000 services / 10,000 splits: time from the
            last list response to the first complete frame, resident memory then (the
            SMITOP_STARTUP_REPORT line) and the peak (VmHWM).
  idle      `smitop demo` in tmux with --refresh 2 and --refresh 0 (and the TUI alone against
            an external simulator, for comparison): CPU over a window, context switches
            (wakeups) per thread, and bytes written to the terminal per metrics tick (tmux
            pipe-pane) against the bytes of a full repaint.
  prometheus  a generated simulator scraped by Debian's Prometheus every 10 s, at 500 and 5,000
            services: queries and bytes of one metrics refresh (`smitop metrics -A --edges --metrics
            linkerd`) from Prometheus' own counters, which must not grow with the mesh.
  internal  `smitop-bench` (a developer tool built beside the binary), if it is there.

Standard library only, plus PyYAML (to read the simulator's kubeconfig).

    python3 scripts/bench.py [--bin .build/release/smitop] [--quick] [--runs N]
                             [--only listing,startup,routes,idle,prometheus,internal] [--sizes 100,1000,10000]
                             [--kubectl PATH] [--out docs/benchmarks.md]

A full run takes about 10 minutes on a 2-core machine, --quick about 5.

Layout: common.py (constants, log), fmt.py (figures for the page), processes.py (/proc, the
spawn helper, timed runs), simulator.py (cluster setup), tmux.py, one module per section
(listing.py, startup.py, idle.py, internal.py), machine.py, report.py (the page), main.py
(the command line). `python3 scripts/bench.py` and `python3 -m bench` (from scripts/) run main.
"""
