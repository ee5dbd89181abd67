# Counts to 40, printing one line every 30 ms (a process for the capture tests).
$| = 1;
my %squares;
for my $i (1 .. 40) {
    $squares{$i} = $i * $i;
    print "perl $i $squares{$i}\n";
    select(undef, undef, undef, 0.03);
}
print "done\n";
