# SPDX-License-Identifier: MIT
# Guest halt polling: netbootfs time / kernel squashfs + overlayfs time per
# workload (median of the run-by-run ratios), at the machine's setting and
# with polling on.
if (!exists("dir")) dir = 'bench/plots'
f = dir.'/haltpoll.dat'
if (system("test -s ".f." && echo 1 || echo 0") + 0 == 0) exit
set terminal pngcairo noenhanced size 800,420 font ',10'
set output dir.'/haltpoll.png'
set datafile missing '-'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
set ylabel 'netbootfs / kernel (time ratio, median)'
set grid ytics
set key outside right top vertical
set title 'guest halt polling: netbootfs against kernel squashfs + overlayfs (lower is better)'
plot for [i=2:3] f using i:xtic(1) title columnhead(i), 1 with lines lc rgb 'black' dt 2 notitle
