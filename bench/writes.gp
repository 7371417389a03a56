# SPDX-License-Identifier: MIT
# Copy-up, create, tar -x and rm -rf workloads: median seconds per writable
# contender.
if (!exists("dir")) dir = 'bench/plots'
f = dir.'/writes.dat'
n = int(system("awk 'NR == 2 { print NF }' ".f))
set terminal pngcairo noenhanced size 900,450 font ',10'
set output dir.'/writes.png'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'seconds (median, log scale)'
set key outside right top vertical
set grid ytics
set title 'writes on a fresh copy-on-write root, incl. syncfs (lower is better)'
plot for [i=2:n] f using i:xtic(1) title columnhead(i)
