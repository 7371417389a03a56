# SPDX-License-Identifier: MIT
# Restart: signal to every root answering again, and the readers' worst stall
# (bench/lib/restart.sh; median with min–max).
if (!exists("dir")) dir = 'bench/plots'
d = dir.'/restart.dat'
set terminal pngcairo noenhanced size 1000,450 font ',10'
set output dir.'/restart.png'
set multiplot layout 1,2 title 'netbootfs restart'
set grid y
set style fill solid 0.5
set boxwidth 0.5
set yrange [0:*]
set xrange [-0.5:2.5]
set title 'all roots answering again'
set ylabel 'seconds after the signal'
plot d using 1:3:xtic(2) with boxes notitle, d using 1:3:4:5 with yerrorbars lc black pt 0 notitle, \
     5 with lines dt 2 lc rgb 'red' title 'target 5 s'
set title 'worst reader stall'
set ylabel 'seconds without a good read'
plot d using 1:6:xtic(2) with boxes notitle, d using 1:6:7:8 with yerrorbars lc black pt 0 notitle
unset multiplot
