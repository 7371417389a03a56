# SPDX-License-Identifier: MIT
# Boot storm: N Pis fetch their boot trees over TFTP through dnsmasq.
if (!exists("dir")) dir = 'bench/plots'
f = dir.'/bootstorm.dat'
set terminal pngcairo noenhanced size 900,500 font ',10'
set output dir.'/bootstorm.png'
set xlabel 'clients booting at once'
set ylabel 'seconds (median)'
set key left top
set grid
set logscale x 2
set title 'boot storm through dnsmasq TFTP: netbootfs vs a plain directory'
plot f using 1:2 with linespoints lw 2 pt 7 title 'netbootfs: total', \
     f using 1:3 with linespoints lw 2 pt 5 dt 2 title 'plain dir: total', \
     f using 1:6 with linespoints lw 1 pt 7 title 'netbootfs: per-client p99', \
     f using 1:7 with linespoints lw 1 pt 5 dt 2 title 'plain dir: per-client p99', \
     f using 1:4 with linespoints lw 1 pt 6 title 'netbootfs: per-client p50', \
     f using 1:5 with linespoints lw 1 pt 4 dt 2 title 'plain dir: per-client p50'
