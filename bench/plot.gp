# Latency distributions of libphotonring and the peers, drawn by bench/run.sh
# from the files bench_oneway and bench_pingpong write with --dump:
#   gnuplot -e "dir='RESULTS'; out='docs/latency.png'; info='...'" bench/plot.gp
# Each curve is latency against percentile on a log scale of 1/(1-p), so the
# tail gets as much room as the median (the HdrHistogram convention).

if (!exists("dir")) dir = "build/bench/results"
if (!exists("out")) out = "docs/latency.png"
if (!exists("info")) info = ""
names = "floor photon ck-spsc ck-spmc rte_ring boost-spsc rwqueue cqueue"

set terminal pngcairo size 1600,1100 font "DejaVu Sans,11" noenhanced
set output out

set logscale x 10
set logscale y 10
set xrange [1:100000]
set xtics ("0%%" 1, "50%%" 2, "90%%" 10, "99%%" 100, "99.9%%" 1000, \
           "99.99%%" 10000, "99.999%%" 100000)
set format y "%g"
set grid xtics ytics mytics lc rgb "#dddddd"
set key top left reverse Left samplen 2 box opaque
set xlabel "percentile"

# photon bold, the physical floor dashed black, the peers thin.
lw(n) = n eq "photon" ? 4 : 1.8
dt(n) = n eq "floor" ? 2 : 1
color(n) = n eq "floor" ? "black" : n eq "photon" ? "#d62728" : \
    n eq "ck-spsc" ? "#1f77b4" : n eq "ck-spmc" ? "#17becf" : \
    n eq "rte_ring" ? "#2ca02c" : n eq "boost-spsc" ? "#9467bd" : \
    n eq "rwqueue" ? "#ff7f0e" : "#8c564b"
file(prog, poll, n) = sprintf("%s/%s-%s-%s.dat", dir, prog, poll, n)

set multiplot layout 2,2 title "libphotonring and peers, 8-byte messages, two pinned cores\n".info

set ylabel "one-way latency (ns)"
set title "one-way, paced; reader re-polls at once (spin)"
plot for [n in names] file("oneway", "spin", n) using 2:3 with lines \
    lw lw(n) dt dt(n) lc rgb color(n) title n

set title "one-way, paced; one PAUSE per empty poll"
plot for [n in names] file("oneway", "pause", n) using 2:3 with lines \
    lw lw(n) dt dt(n) lc rgb color(n) title n

set ylabel "half round trip (ns)"
set title "ping-pong, half RTT; spin"
plot for [n in names] file("pingpong", "spin", n) using 2:3 with lines \
    lw lw(n) dt dt(n) lc rgb color(n) title n

set title "ping-pong, half RTT; one PAUSE per empty poll"
plot for [n in names] file("pingpong", "pause", n) using 2:3 with lines \
    lw lw(n) dt dt(n) lc rgb color(n) title n

unset multiplot
