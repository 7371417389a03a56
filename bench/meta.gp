# SPDX-License-Identifier: MIT
# Metadata walk (find -printf '%s %m' of every entry): median seconds.
if (!exists("dir")) dir = 'bench/plots'
cold = dir.'/reads-cold.dat'
warm = dir.'/reads-warm.dat'
n = int(system("awk 'NR == 2 { print NF }' ".cold))
set terminal pngcairo noenhanced size 900,450 font ',10'
set output dir.'/meta.png'
set datafile missing '-'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'seconds (median, log scale)'
set key outside right top vertical
set grid ytics
set xrange [-0.5:1.5]
set title 'metadata walk: find + stat of every entry (lower is better)'
set xtics ('cold' 0, 'warm' 1)
plot for [i=2:n] '< (grep -E "^(workload|meta) " '.cold.'; grep -E "^meta " '.warm.')' \
	using i title columnhead(i)
