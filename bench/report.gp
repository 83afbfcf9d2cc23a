# The figures of the technical report (docs/report/), drawn by
# bench/report.sh from what it writes into build/bench/results/report:
#   gnuplot -e "dir='...'; figs='docs/report/figures'; info='...'" bench/report.gp
# latency.png: the distributions (median over the rounds of each
# percentile), one-way and half round trip, log scale of 1/(1-p) as in
# docs/latency.png; throughput.png: 1 -> 1 per round, 1 -> k medians with
# the range of the rounds; ratios.png: the per-round photon advantage
# against the machine state of the pair (the C run's c2c probe).

if (!exists("dir")) dir = "build/bench/results/report"
if (!exists("figs")) figs = "docs/report/figures"
if (!exists("info")) info = ""

set terminal pngcairo size 1400,600 font "DejaVu Sans,11" noenhanced

# ---- latency ----
set output figs."/latency.png"
set logscale x 10
set logscale y 10
set xrange [1:100000]
set xtics ("0%%" 1, "50%%" 2, "90%%" 10, "99%%" 100, "99.9%%" 1000, \
           "99.99%%" 10000, "99.999%%" 100000)
set format y "%g"
set grid xtics ytics mytics lc rgb "#dddddd"
set key top left reverse Left samplen 2 box opaque
set xlabel "percentile"
curve(test, n) = sprintf("%s/curve-%s-%s.dat", dir, test, n)
set multiplot layout 1,2 title "libphotonring and the LMAX Disruptor, 8-byte messages, two CPUs - ".info
set ylabel "one-way latency (ns)"
set title "one-way, paced (1 message / us)"
plot curve("oneway", "spin-floor") using 2:3 with lines lw 1.5 dt 2 lc rgb "black" title "floor (spin)", \
     curve("oneway", "spin-photon") using 2:3 with lines lw 1.5 lc rgb "#ff9896" title "photon (spin)", \
     curve("oneway", "pause-photon") using 2:3 with lines lw 3.5 lc rgb "#d62728" title "photon (pause)", \
     curve("oneway", "disruptor") using 2:3 with lines lw 3.5 lc rgb "#1f77b4" title "Disruptor (BusySpin)"
set ylabel "half round trip (ns)"
set title "round trip, back to back (half of it)"
plot curve("pingpong", "spin-floor") using 2:3 with lines lw 1.5 dt 2 lc rgb "black" title "floor (spin)", \
     curve("pingpong", "spin-photon") using 2:3 with lines lw 1.5 lc rgb "#ff9896" title "photon (spin)", \
     curve("pingpong", "pause-photon") using 2:3 with lines lw 3.5 lc rgb "#d62728" title "photon (pause)", \
     curve("pingpong", "disruptor") using 2:3 with lines lw 3.5 lc rgb "#1f77b4" title "Disruptor (BusySpin)"
unset multiplot

# ---- throughput ----
set output figs."/throughput.png"
unset logscale x
unset logscale y
set xrange [*:*]
set yrange [0:*]
set xtics autofreq
set format y "%g"
set grid ytics noxtics lc rgb "#dddddd"
set multiplot layout 1,2 title "lossless throughput, 8-byte messages, order checked - ".info
set title "1 -> 1, every round, preempted runs included (pinned, busy waits)"
set xlabel "round"
set ylabel "Mmsg/s"
set xtics 1
set key top right noreverse Right box opaque
plot dir."/rates.dat" using 1:3 with linespoints lw 3 pt 7 lc rgb "#d62728" title "photon (pause)", \
     dir."/rates.dat" using 1:2 with linespoints lw 1.5 pt 6 lc rgb "#ff9896" title "photon (spin)", \
     dir."/rates.dat" using 1:4 with linespoints lw 1.5 pt 4 dt 2 lc rgb "black" title "bare seqlock ring (spin)", \
     dir."/rates.dat" using 1:5 with linespoints lw 3 pt 5 lc rgb "#1f77b4" title "Disruptor tryNext", \
     dir."/rates.dat" using 1:6 with linespoints lw 1.5 pt 4 lc rgb "#6baed6" title "Disruptor next()"
set title "1 -> k, yielding waits, not pinned (k >= 2: oversubscribed)"
set xlabel "consumers k"
set xrange [0.5:3.5]
set style fill solid 0.8 border -1
set boxwidth 0.35
set key top right
plot dir."/fanout.dat" using ($1-0.18):2 with boxes lc rgb "#d62728" title "photon (median)", \
     dir."/fanout.dat" using ($1-0.18):2:3:4 with yerrorbars lc rgb "black" pt -1 notitle, \
     dir."/fanout.dat" using ($1+0.18):5 with boxes lc rgb "#1f77b4" title "Disruptor (median)", \
     dir."/fanout.dat" using ($1+0.18):5:6:7 with yerrorbars lc rgb "black" pt -1 title "range of the rounds"
unset multiplot

# ---- ratios against the machine state ----
set output figs."/ratios.png"
set terminal pngcairo size 1000,600 font "DejaVu Sans,11" noenhanced
set output figs."/ratios.png"
set xrange [*:*]
set yrange [0.125:16]
set logscale y 2
set xtics autofreq
set format y "%g"
set grid xtics ytics lc rgb "#dddddd"
set title "photon advantage per round (> 1: libphotonring better); filled: clean pairs\n".info
set xlabel "c2c probe of the C run (ns)"
set ylabel "Disruptor / photon (latency), photon / Disruptor (throughput)"
set key outside right top box
set logscale x 2
clean(c, v) = c > 0 ? v : NaN
dirty(c, v) = c > 0 ? NaN : v
plot 1 with lines lc rgb "black" dt 2 notitle, \
     dir."/ratios.dat" using 2:(clean($4, $3)) with points pt 7 ps 1.6 lc rgb "#d62728" title "one-way p50", \
     dir."/ratios.dat" using 2:(dirty($4, $3)) with points pt 6 ps 1.6 lc rgb "#d62728" notitle, \
     dir."/ratios.dat" using 5:(clean($7, $6)) with points pt 5 ps 1.6 lc rgb "#ff7f0e" title "round trip p50", \
     dir."/ratios.dat" using 5:(dirty($7, $6)) with points pt 4 ps 1.6 lc rgb "#ff7f0e" notitle, \
     dir."/ratios.dat" using 8:(clean($10, $9)) with points pt 9 ps 1.6 lc rgb "#1f77b4" title "1 -> 1 (tryNext)", \
     dir."/ratios.dat" using 8:(dirty($10, $9)) with points pt 8 ps 1.6 lc rgb "#1f77b4" notitle
