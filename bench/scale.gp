# SPDX-License-Identifier: MIT
# Scale: daemon start time, RSS, threads with N nodes; mapper lookup latency.
if (!exists("dir")) dir = 'bench/plots'
s = dir.'/scale.dat'
m = dir.'/mapper.dat'
set terminal pngcairo noenhanced size 1100,800 font ',10'
set output dir.'/scale.png'
set multiplot layout 2,2 title 'netbootfs scale'
set logscale x 10
set grid
set key left top
set xlabel 'nodes in the config'
set title 'start: all mounts up'
set ylabel 'seconds'
plot s using 1:2 with linespoints lw 2 pt 7 notitle
set title 'resident memory'
set ylabel 'MiB'
plot s using 1:3 with linespoints lw 2 pt 7 notitle
set title 'threads and file descriptors'
set ylabel 'count'
set logscale y 10
plot s using 1:4 with linespoints lw 2 pt 7 title 'threads', \
     s using 1:5 with linespoints lw 2 pt 5 title 'fds'
unset logscale y
set title 'node table lookup'
set ylabel 'ns per lookup'
set yrange [0:*]
plot m using 1:2 with linespoints lw 2 pt 7 title 'by name', \
     m using 1:3 with linespoints lw 2 pt 5 title 'by serial', \
     m using 1:4 with linespoints lw 2 pt 9 title 'by MAC'
unset multiplot
