# SPDX-License-Identifier: MIT
# CPU cost (issue 21, target 5): CPU seconds per GiB read cold (tar of the
# whole tree) and per 10,000 files created, split into the FUSE daemons'
# time and the workload's own system and user time.
# gnuplot -e "dir='bench/plots'" bench/cpu.gp   (data: bench/lib/report_cpu.sh)
if (!exists("dir")) dir = 'bench/plots'
rd = dir.'/cpu-read.dat'
cr = dir.'/cpu-create.dat'
have_rd = int(system("test -s ".rd." && echo 1 || echo 0"))
have_cr = int(system("test -s ".cr." && echo 1 || echo 0"))
if (have_rd + have_cr == 0) exit
set terminal pngcairo noenhanced size 1100,450 font ',10'
set output dir.'/cpu.png'
set style data histogram
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.6
set key outside right top vertical
set grid ytics
set xtics rotate by -20
set yrange [0:*]
set multiplot layout 1,have_rd + have_cr title 'CPU cost: what one server spends per unit of work (lower is better)'
if (have_rd) {
	set title 'per GiB read, cold (tar -cf - of the tree)'
	set ylabel 'CPU seconds per GiB (median)'
	plot for [i=2:4] rd using i:xtic(1) title columnhead(i)
}
if (have_cr) {
	set title 'per 10,000 files created (incl. syncfs)'
	set ylabel 'CPU seconds per 10,000 files (median)'
	plot for [i=2:4] cr using i:xtic(1) title columnhead(i)
}
unset multiplot
