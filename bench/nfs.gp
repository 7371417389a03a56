# SPDX-License-Identifier: MIT
# Through NFS (bench/lib/nfs.sh): median seconds per workload and cache state.
if (!exists("dir")) dir = 'bench/plots'
f = dir.'/nfs.dat'
n = int(system("awk 'NR == 2 { print NF }' ".f))
set terminal pngcairo noenhanced size 900,450 font ',10'
set output dir.'/nfs.png'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'seconds (median, log scale)'
set key outside right top vertical
set grid ytics
set xtics rotate by -30
set title 'NFSv3 through NFS-Ganesha (FSAL_VFS), libnfs client (lower is better)'
plot for [i=2:n] f using i:xtic(1) title columnhead(i)
