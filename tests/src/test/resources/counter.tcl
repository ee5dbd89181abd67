# Counts to 40, printing one line every 30 ms (a process for the capture tests).
for {set i 1} {$i <= 40} {incr i} {
    puts "tcl $i [expr {$i * $i}]"
    flush stdout
    after 30
}
puts done
