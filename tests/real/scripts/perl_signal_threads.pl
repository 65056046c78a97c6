# perl_signal_threads.pl MODE - 20 ithreads each block SIGTERM (POSIX::sigprocmask: the calling
# thread's mask, as in C) and wait on a threads::shared condition; the main thread does not block it,
# so a SIGTERM sent to the process is the main thread's.
#   MODE default: SIGTERM keeps its default action, main joins the threads: the process ends by SIGTERM.
#   MODE handler: main has a $SIG{TERM} handler and sleeps; the signal interrupts the sleep, main
#                 releases and joins the threads and exits 0.
# Without the signal everything ends by itself after $BOUND_S seconds, saying so.
use strict;
use warnings;
use threads;
use threads::shared;
use POSIX ();
use Time::HiRes qw(sleep time);

$| = 1;
my $THREADS = 20;
my $BOUND_S = 15;
my $mode = shift // "default";
die "unknown mode $mode\n" unless $mode eq "default" or $mode eq "handler";

my $blocking :shared = 0;  # threads that have blocked SIGTERM and are about to wait
my $release :shared = 0;
my $got_term = 0;
$SIG{TERM} = $mode eq "handler" ? sub { $got_term = 1 } : "DEFAULT";

sub wait_for_release {
    my $term = POSIX::SigSet->new(POSIX::SIGTERM());
    defined POSIX::sigprocmask(POSIX::SIG_BLOCK(), $term) or die "sigprocmask: $!";
    {
        lock($blocking);
        $blocking++;
        cond_broadcast($blocking);
    }
    my $deadline = time + $BOUND_S;
    lock($release);
    until ($release) {
        last unless cond_timedwait($release, $deadline);
    }
    return $release ? "released" : "timed out";
}

my @threads = map { threads->create(\&wait_for_release) } 1 .. $THREADS;
{
    my $deadline = time + 60;
    lock($blocking);
    while ($blocking < $THREADS) {
        last unless cond_timedwait($blocking, $deadline);
    }
    print "$blocking threads block SIGTERM and wait\n";
}
print "ready\n";
if ($mode eq "handler") {
    sleep($BOUND_S) unless $got_term;  # Time::HiRes::sleep: nanosleep, cut short by the signal
    print $got_term ? "main caught SIGTERM\n" : "no SIGTERM in $BOUND_S s\n";
    lock($release);
    $release = 1;
    cond_broadcast($release);
}
my %ends;
$ends{ $_->join }++ for @threads;
print "joined: ", join(", ", map { "$ends{$_} $_" } sort keys %ends), "\n";
