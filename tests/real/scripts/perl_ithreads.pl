# perl_ithreads.pl - 200 Perl ithreads, all alive at once, each computing with its own copies of
# the interpreter's variables, adding to threads::shared data under lock, sleeping and being joined;
# prints only results that do not depend on scheduling.
use strict;
use warnings;
use threads;
use threads::shared;
use Time::HiRes qw(sleep time);

my $THREADS = 200;
my @SLEEPS_S = (0.2, 0.3, 0.4);  # thread i sleeps $SLEEPS_S[i % 3]
my $BOUND_S = 20;

# Shared: a total and a hash filled under lock, and a latch every thread waits on before sleeping.
my $total :shared = 0;
my %by_thread :shared;
my $started :shared = 0;

# Not shared: every thread gets its own copy when it is created, and its changes stay its own.
our $global = "main";
my @mine = (1, 2, 3);

sub work {
    my ($index) = @_;
    $global = "thread $index";
    push @mine, $index;
    my $sum = 0;
    $sum += $_ * $_ for 1 .. 1000 + $index;
    my $all_alive;
    {
        lock($started);
        $started++;
        cond_broadcast($started);
        my $deadline = time() + 10;
        while ($started < $THREADS) {
            last unless cond_timedwait($started, $deadline);
        }
        $all_alive = $started == $THREADS;
    }
    sleep($SLEEPS_S[$index % @SLEEPS_S]);
    {
        lock($total);
        $total += $sum;
    }
    {
        lock(%by_thread);
        $by_thread{$index} = threads->tid();
    }
    # After the sleep and the locks, this thread's copies still hold what it put there.
    my $wrong = $all_alive ? 0 : 1;
    $wrong++ unless $global eq "thread $index";
    $wrong++ unless "@mine" eq "1 2 3 $index";
    return ($index, $sum, $wrong);
}

my $started_at = time();
my @threads = map { threads->create({ context => 'list' }, \&work, $_) } 0 .. $THREADS - 1;
my ($indexes, $sums, $wrong) = (0, 0, 0);
for my $thread (@threads) {
    my ($index, $sum, $bad) = $thread->join();
    $indexes += $index;
    $sums += $sum;
    $wrong += $bad;
}
my $elapsed = time() - $started_at;

my $want = 0;
for my $index (0 .. $THREADS - 1) {
    $want += $_ * $_ for 1 .. 1000 + $index;
}
my %tids = map { $_ => 1 } values %by_thread;
print "threads $THREADS, all alive at once before sleeping (else counted wrong)\n";
print "sum of indexes $indexes (want ", $THREADS * ($THREADS - 1) / 2, ")\n";
print "returned sums $sums, shared total $total (want $want)\n";
print "shared hash: ", scalar(keys %by_thread), " entries, ", scalar(keys %tids), " distinct tids\n";
print "wrong thread-local values: $wrong; main's own: \$global $global, \@mine @mine\n";
my $in_all = 0;
$in_all += $SLEEPS_S[$_ % @SLEEPS_S] for 0 .. $THREADS - 1;
my $longest = $SLEEPS_S[-1];
printf "%d sleeps of %.1f-%.1f s (%.0f s in all) overlapped: took at least %.1f s: %s, under %d s: %s\n",
    $THREADS, $SLEEPS_S[0], $longest, $in_all, $longest, ($elapsed >= $longest ? "yes" : "no"), $BOUND_S,
    ($elapsed < $BOUND_S ? "yes" : "no");
print "threads left: ", scalar(threads->list()), "\n";
exit($wrong == 0 && $total == $want && $elapsed >= $longest && $elapsed < $BOUND_S ? 0 : 1);
