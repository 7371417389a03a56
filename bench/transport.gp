# SPDX-License-Identifier: MIT
# Transport: microseconds per FUSE round trip (getxattr loop), median; free,
# daemon and caller on one CPU, on two CPUs.
if (!exists("dir")) dir = 'bench/plots'
f = dir.'/transport.dat'
if (system("test -s ".f." && echo 1 || echo 0") + 0 == 0) exit
set terminal pngcairo noenhanced size 800,420 font ',10'
set output dir.'/transport.png'
set datafile missing '-'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'µs per getxattr (median, log scale)'
set grid ytics
set key outside right top vertical
set title 'one FUSE round trip: getxattr of a missing attribute (lower is better)'
plot for [i=2:4] f using i:xtic(1) title columnhead(i)
