# SPDX-License-Identifier: MIT
# Transport: microseconds per FUSE round trip (getxattr loop), median.
if (!exists("dir")) dir = 'bench/plots'
f = dir.'/transport.dat'
if (!system("test -s ".f." && echo 1 || echo 0")) exit
set terminal pngcairo noenhanced size 700,400 font ',10'
set output dir.'/transport.png'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel 'µs per getxattr (median)'
set grid ytics
set key off
set yrange [0:*]
set title 'one round trip: getxattr of a missing attribute (lower is better)'
plot '< grep -vE "^(contender|.*-warm-transport)" '.f using 2:xtic(1)
