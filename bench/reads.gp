# SPDX-License-Identifier: MIT
# Read workloads: median seconds per contender, cold and warm (log scale).
# gnuplot -e "dir='bench/plots'" bench/reads.gp   (data: bench/lib/report.sh)
if (!exists("dir")) dir = 'bench/plots'
cold = dir.'/reads-cold.dat'
warm = dir.'/reads-warm.dat'
n = int(system("awk 'NR == 2 { print NF }' ".cold))
set terminal pngcairo noenhanced size 1100,800 font ',10'
set output dir.'/reads.png'
set datafile missing '-'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'seconds (median, log scale)'
set key outside right top vertical
set grid ytics
set multiplot layout 2,1 title 'netbootfs vs alternatives: read workloads (lower is better)'
set title 'cold (after drop_caches)'
plot for [i=2:n] cold every ::1 using i:xtic(1) title columnhead(i)
set title 'warm'
plot for [i=2:n] warm every ::1 using i:xtic(1) title columnhead(i)
unset multiplot
